#include <hdf5.h>
/* HDF5's type/property-list ids are macros that call H5open(); Swift cannot import them. */
static inline hid_t gk_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t gk_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t gk_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t gk_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t gk_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t gk_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline unsigned gk_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned gk_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned gk_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline hsize_t gk_H5S_UNLIMITED(void) { return H5S_UNLIMITED; }
static inline hid_t gk_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t gk_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline hid_t gk_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t gk_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
/* Silences HDF5's automatic error-stack printing; GhostKit reports its own one-line errors.
   Also keeps HDF5 from closing files at exit (H5dont_atexit, effective when this is the first HDF5
   call): after a failed write (disk full, EFBIG) the library's exit-time close of the broken file
   crashes, and every file GhostKit finishes is closed explicitly anyway. */
static inline void gk_H5_silence(void) { H5dont_atexit(); H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
