#include <mpi.h>
/* Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM …) are macros over addresses of global structs, which
   Swift cannot import: these functions wrap the few calls GhostKit makes, on MPI_COMM_WORLD. Each returns MPI's
   error code (MPI_SUCCESS = 0); the communicator's error handler is set to MPI_ERRORS_RETURN by gk_mpi_init. */
static inline int gk_mpi_init(void) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
        int provided = 0;
        int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS) return rc;
    }
    return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}
static inline int gk_mpi_finalize(void) { return MPI_Finalize(); }
static inline int gk_mpi_rank(void) { int r = -1; MPI_Comm_rank(MPI_COMM_WORLD, &r); return r; }
static inline int gk_mpi_size(void) { int s = -1; MPI_Comm_size(MPI_COMM_WORLD, &s); return s; }
static inline int gk_mpi_allreduce_sum_float(float *buf, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}
static inline int gk_mpi_allreduce_sum_double(double *buf, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
static inline int gk_mpi_allreduce_max_double(double *buf, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
}
static inline int gk_mpi_bcast_float(float *buf, int count, int root) {
    return MPI_Bcast(buf, count, MPI_FLOAT, root, MPI_COMM_WORLD);
}
static inline int gk_mpi_bcast_bytes(void *buf, int count, int root) {
    return MPI_Bcast(buf, count, MPI_BYTE, root, MPI_COMM_WORLD);
}
static inline int gk_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static inline int gk_mpi_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
static inline double gk_mpi_wtime(void) { return MPI_Wtime(); }
/* MPI's text for an error code, into buf (at least MPI_MAX_ERROR_STRING bytes). */
static inline void gk_mpi_error_string(int code, char *buf, int size) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) len = 0;
    if (len >= size) len = size - 1;
    for (int i = 0; i < len; i++) buf[i] = text[i];
    buf[len < 0 ? 0 : len] = 0;
}
