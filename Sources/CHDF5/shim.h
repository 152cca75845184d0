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
   crashes, and every file GhostKit finishes is closed explicitly anyway. Plugin loading is turned off too:
   a file must never make GhostKit load a shared library (only the built-in deflate/shuffle/fletcher32). */
static inline void gk_H5_silence(void) {
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    H5PLset_loading_state(0);
}
static inline hid_t gk_H5P_LINK_ACCESS(void) { return H5P_LINK_ACCESS; }
static inline hid_t gk_H5P_DATASET_ACCESS(void) { return H5P_DATASET_ACCESS; }
/* Refuses every external-link traversal: a file GhostKit was handed must not make it open another file. */
static inline herr_t gk_H5_deny_elink(const char *parent_file, const char *parent_group, const char *child_file,
                                      const char *child_object, unsigned *acc_flags, hid_t fapl_id, void *op_data) {
    (void)parent_file; (void)parent_group; (void)child_file; (void)child_object; (void)acc_flags; (void)fapl_id;
    (void)op_data;
    return -1;
}
/* A link-access (or dataset-access) property list that refuses external links; the caller closes it. */
static inline hid_t gk_H5P_no_external_links(hid_t cls) {
    hid_t p = H5Pcreate(cls);
    if (p >= 0) H5Pset_elink_cb(p, gk_H5_deny_elink, NULL);
    return p;
}
/* The type of the link `name` in `loc` (H5L_TYPE_HARD, _SOFT, _EXTERNAL…), or -1 when there is none. */
static inline int gk_H5_link_type(hid_t loc, const char *name, hid_t lapl) {
    if (H5Lexists(loc, name, lapl) <= 0) return -1;
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, lapl) < 0) return -1;
    return (int)info.type;
}
