/* A stand-in for the driver's libcuda.so.1, enough for cudarc to make a context, a stream,
 * events and device memory on a machine without a GPU: "device" memory is host memory, work is
 * done when it is queued, and an event records the host monotonic clock when it is recorded.
 * scripts/check-cuda-build.sh appends a stub returning CUDA_ERROR_NOT_SUPPORTED for every other
 * function cuda.h declares, builds it as libcuda.so.1 and runs tests/cuda_layer.rs against it.
 * Like the real driver, it refuses the elapsed time of events created without timing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;
typedef void *CUstream;
typedef unsigned long long CUdeviceptr;
typedef struct fake_event { unsigned int flags; uint64_t t_ns; int recorded; } *CUevent;

#define OK 0
#define INVALID_VALUE 1
#define INVALID_DEVICE 101
#define INVALID_HANDLE 400
#define NOT_READY 600
#define CU_EVENT_DISABLE_TIMING 0x2
#define FREE_BYTES (1ULL << 30)
#define TOTAL_BYTES (2ULL << 30)

static int primary_ctx;
static CUcontext current;
static int streams;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

CUresult cuInit(unsigned int flags) { (void)flags; return OK; }
CUresult cuDriverGetVersion(int *v) { *v = 13000; return OK; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return OK; }
CUresult cuDeviceGet(CUdevice *d, int ordinal) {
    if (ordinal != 0) return INVALID_DEVICE;
    *d = 0;
    return OK;
}
/* Memory pools unsupported: cudarc then allocates synchronously. Compute capability 9.0. */
CUresult cuDeviceGetAttribute(int *v, int attribute, CUdevice d) {
    (void)d;
    *v = attribute == 75 ? 9 : 0; /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR */
    return OK;
}
CUresult cuDeviceGetName(char *name, int len, CUdevice d) {
    (void)d;
    strncpy(name, "Fake CUDA device", (size_t)len);
    return OK;
}
CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice d) { (void)d; *bytes = TOTAL_BYTES; return OK; }
CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice d) { (void)d; *ctx = &primary_ctx; return OK; }
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) { (void)d; return OK; }
CUresult cuCtxSetCurrent(CUcontext ctx) { current = ctx; return OK; }
CUresult cuCtxGetCurrent(CUcontext *ctx) { *ctx = current; return OK; }
CUresult cuCtxSynchronize(void) { return OK; }

CUresult cuStreamCreate(CUstream *s, unsigned int flags) {
    (void)flags;
    *s = (CUstream)(uintptr_t)(0x1000 + ++streams);
    return OK;
}
CUresult cuStreamDestroy_v2(CUstream s) { (void)s; return OK; }
CUresult cuStreamSynchronize(CUstream s) { (void)s; return OK; }
CUresult cuStreamWaitEvent(CUstream s, CUevent e, unsigned int flags) { (void)s; (void)e; (void)flags; return OK; }

CUresult cuEventCreate(CUevent *e, unsigned int flags) {
    *e = calloc(1, sizeof(struct fake_event));
    if (!*e) return INVALID_VALUE;
    (*e)->flags = flags;
    return OK;
}
CUresult cuEventDestroy_v2(CUevent e) { free(e); return OK; }
CUresult cuEventRecord(CUevent e, CUstream s) {
    (void)s;
    e->t_ns = now_ns();
    e->recorded = 1;
    return OK;
}
CUresult cuEventSynchronize(CUevent e) { (void)e; return OK; }
CUresult cuEventQuery(CUevent e) { return e->recorded ? OK : NOT_READY; }
CUresult cuEventElapsedTime_v2(float *ms, CUevent start, CUevent end) {
    if ((start->flags | end->flags) & CU_EVENT_DISABLE_TIMING) return INVALID_HANDLE;
    if (!start->recorded || !end->recorded) return NOT_READY;
    *ms = (float)((double)((int64_t)(end->t_ns - start->t_ns)) / 1e6);
    return OK;
}
CUresult cuEventElapsedTime(float *ms, CUevent start, CUevent end) { return cuEventElapsedTime_v2(ms, start, end); }

CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total) {
    *free_bytes = FREE_BYTES;
    *total = TOTAL_BYTES;
    return OK;
}
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
    void *m = malloc(bytes ? bytes : 1);
    if (!m) return INVALID_VALUE;
    *p = (CUdeviceptr)(uintptr_t)m;
    return OK;
}
CUresult cuMemFree_v2(CUdeviceptr p) { free((void *)(uintptr_t)p); return OK; }
CUresult cuMemsetD8_v2(CUdeviceptr p, unsigned char v, size_t n) { memset((void *)(uintptr_t)p, v, n); return OK; }
CUresult cuMemsetD8Async(CUdeviceptr p, unsigned char v, size_t n, CUstream s) { (void)s; return cuMemsetD8_v2(p, v, n); }
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) {
    memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, n);
    return OK;
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) { (void)s; return cuMemcpyDtoD_v2(dst, src, n); }

CUresult cuGetErrorString(CUresult r, const char **s) { (void)r; *s = "fake driver error"; return OK; }
CUresult cuGetErrorName(CUresult r, const char **s) { (void)r; *s = "CUDA_ERROR_FAKE"; return OK; }
