#include <cblas.h>
/* openblas_set_num_threads / openblas_get_num_threads are declared in cblas.h (OpenBLAS). */
/* LAPACK's symmetric eigensolver (exported by libopenblas; Debian ships no lapack.h with it). */
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info);
