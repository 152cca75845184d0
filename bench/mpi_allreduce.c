/* Times MPI_Allreduce (sum, in place) of one float buffer, as GhostKit's trainer issues it for a gradient bucket:
   mpicc -O2 bench/mpi_allreduce.c -o /tmp/mpi_allreduce
   mpirun -np 2 --allow-run-as-root /tmp/mpi_allreduce 11172810 20     # floats per call, calls
   Prints the median seconds per call and the bus bandwidth 2(K-1)/K * bytes / time (the ring model's). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long n = argc > 1 ? atol(argv[1]) : 1 << 22;
    int calls = argc > 2 ? atoi(argv[2]) : 10;
    float *buf = malloc(sizeof(float) * (size_t)n);
    double *t = malloc(sizeof(double) * (size_t)calls);
    for (long i = 0; i < n; i++) buf[i] = 1e-3f * (float)(i % 1000);
    MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD); /* warm-up */
    for (int c = 0; c < calls; c++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        t[c] = MPI_Wtime() - t0;
    }
    qsort(t, (size_t)calls, sizeof(double), cmp);
    double med = t[calls / 2], bytes = 4.0 * (double)n;
    if (rank == 0)
        printf("K=%d floats=%ld bytes=%.0f median %.6f s (min %.6f, max %.6f), bus bandwidth %.2f GB/s\n", size, n,
               bytes, med, t[0], t[calls - 1], 2.0 * (size - 1) / size * bytes / med / 1e9);
    free(buf);
    free(t);
    MPI_Finalize();
    return 0;
}
