/* A stand-in for the NVIDIA driver's libnvidia-ml.so.1: one GPU whose readings the tests know,
 * so the NVML collector runs through nvml-wrapper and the C ABI on a machine without a GPU.
 * Built by tests/telemetry.rs (cc -shared -fPIC -Wl,-soname,libnvidia-ml.so.1).
 *
 * Environment: FAKE_NVML_WATTS (constant draw, default 300), FAKE_NVML_THROTTLE (throttle
 * reason bits, default 0), FAKE_NVML_FOREIGN_PID (a process using 1 GiB, default none),
 * FAKE_NVML_WOBBLE (SM clock alternates 1980/1500 MHz between reads when set).
 *
 * The energy counter behaves like the real one: millijoules since the library was initialised,
 * updated every 100 ms. Signatures and struct layouts follow nvml.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int nvmlReturn_t;
typedef struct fake_device *nvmlDevice_t;
struct fake_device { int index; };

#define NVML_SUCCESS 0
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_INSUFFICIENT_SIZE 7

typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct {
    unsigned int version;
    unsigned long long total, reserved, free, used;
} nvmlMemory_v2_t;
typedef struct {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_t;

static struct fake_device gpu0 = {0};
static double start_s = -1.0;
static unsigned long reads = 0;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double env_f(const char *name, double fallback) {
    const char *v = getenv(name);
    return v && *v ? strtod(v, NULL) : fallback;
}

static nvmlReturn_t copy_str(char *dst, unsigned int len, const char *src) {
    if (!dst || strlen(src) + 1 > len) return NVML_ERROR_INSUFFICIENT_SIZE;
    strcpy(dst, src);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit_v2(void) {
    if (start_s < 0) start_s = now_s();
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlShutdown(void) { return NVML_SUCCESS; }
const char *nvmlErrorString(nvmlReturn_t r) { return r == 0 ? "Success" : "Fake NVML error"; }

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
    *count = 1;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (index != 0) return NVML_ERROR_INVALID_ARGUMENT;
    *device = &gpu0;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlSystemGetDriverVersion(char *v, unsigned int len) { return copy_str(v, len, "580.0-fake"); }
nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *v) {
    *v = 13000;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name, unsigned int len) {
    (void)d;
    return copy_str(name, len, "Fake NVIDIA H100 80GB HBM3");
}
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *uuid, unsigned int len) {
    (void)d;
    return copy_str(uuid, len, "GPU-00000000-fake-0000-0000-000000000000");
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *mj) {
    (void)d;
    double elapsed = now_s() - start_s;
    double updated = (double)(long long)(elapsed * 10.0) / 10.0; /* every 100 ms */
    *mj = (unsigned long long)(updated * env_f("FAKE_NVML_WATTS", 300.0) * 1000.0);
    reads++;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw) {
    (void)d;
    *mw = (unsigned int)(env_f("FAKE_NVML_WATTS", 300.0) * 1000.0);
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned int *mw) {
    (void)d;
    *mw = 700000;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(nvmlDevice_t d, unsigned int *mw) {
    (void)d;
    *mw = 700000;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u) {
    (void)d;
    u->gpu = 50;
    u->memory = 20;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t d, nvmlMemory_v2_t *m) {
    (void)d;
    if ((m->version >> 24) != 2 || (m->version & 0xffffff) != sizeof(nvmlMemory_v2_t))
        return NVML_ERROR_INVALID_ARGUMENT;
    m->total = 80ULL << 30;
    m->reserved = 0;
    m->used = 1ULL << 30;
    m->free = m->total - m->used;
    return NVML_SUCCESS;
}
/* Clock types: 0 graphics, 1 SM, 2 memory, 3 video. */
nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, int type, unsigned int *mhz) {
    (void)d;
    if (type == 1) *mhz = (getenv("FAKE_NVML_WOBBLE") && reads % 2) ? 1500 : 1980;
    else if (type == 2) *mhz = 2619;
    else return NVML_ERROR_NOT_SUPPORTED;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t d, int type, unsigned int *mhz) {
    (void)d;
    if (type == 1) *mhz = 1980;
    else if (type == 2) *mhz = 2619;
    else return NVML_ERROR_NOT_SUPPORTED;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned int *c) {
    (void)d;
    if (sensor != 0) return NVML_ERROR_NOT_SUPPORTED;
    *c = 41;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t d, unsigned int *current, unsigned int *pending) {
    (void)d;
    *current = 0;
    *pending = 0;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t d, unsigned long long *bits) {
    (void)d;
    *bits = (unsigned long long)env_f("FAKE_NVML_THROTTLE", 0.0);
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *count,
                                                     nvmlProcessInfo_t *infos) {
    (void)d;
    unsigned int pid = (unsigned int)env_f("FAKE_NVML_FOREIGN_PID", 0.0);
    unsigned int n = pid ? 1 : 0;
    if (!infos || *count < n) {
        *count = n;
        return n ? NVML_ERROR_INSUFFICIENT_SIZE : NVML_SUCCESS;
    }
    *count = n;
    if (n) {
        infos[0].pid = pid;
        infos[0].usedGpuMemory = 1ULL << 30;
        infos[0].gpuInstanceId = 0xffffffffu;
        infos[0].computeInstanceId = 0xffffffffu;
    }
    return NVML_SUCCESS;
}
