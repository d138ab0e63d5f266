/*
 * fake_nvml.c - a stand-in for libnvidia-ml.so.1, written for slicesim's HIL tests.
 *
 * It exports the subset of the NVML C API that slicesim's harness (and the nvml-wrapper crate
 * underneath it) calls, with in-memory state for A100-80GB, H100-80GB and H200-141GB GPUs:
 * MIG mode (current and pending), GPU instances with placements, compute instances, MIG device
 * handles and UUIDs, memory, utilization, power, clocks and running processes. It is NOT the
 * real library and knows nothing about real hardware: its profile tables are copied from
 * slicesim's facts sheet (shared/reference/gpu-facts.md), so an inventory run against it
 * confirms nothing about a real GPU.
 *
 * State lives in a small text file so that it survives from one process to the next, as a
 * GPU's state does between harness runs: $FAKE_NVML_STATE, or else `fake-nvml-state` next to
 * this library. A missing file is created from $FAKE_NVML_GPUS (default "A100-80GB,H100-80GB";
 * add ":mig" to a model to start with MIG mode on). See hil/fake-nvml/README.md for the file
 * format and for fault injection ($FAKE_NVML_FAULTS).
 *
 * Struct layouts follow the NVML ABI as described by the nvml-wrapper-sys bindings; every
 * definition below is written for this file.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* ---- return codes (values of nvmlReturn_t) ---- */
enum {
    OK = 0, E_UNINITIALIZED = 1, E_INVALID_ARGUMENT = 2, E_NOT_SUPPORTED = 3,
    E_NO_PERMISSION = 4, E_NOT_FOUND = 6, E_INSUFFICIENT_SIZE = 7, E_DRIVER_NOT_LOADED = 9,
    E_GPU_IS_LOST = 15, E_RESET_REQUIRED = 16, E_IN_USE = 19, E_INSUFFICIENT_RESOURCES = 23,
    E_ARGUMENT_VERSION_MISMATCH = 25, E_INVALID_STATE = 29, E_UNKNOWN = 999
};

/* ---- ABI structs ---- */
typedef struct { unsigned start, size; } placement_t;
typedef struct {
    unsigned id, isP2pSupported, sliceCount, instanceCount, multiprocessorCount;
    unsigned copyEngineCount, decoderCount, encoderCount, jpegCount, ofaCount;
    unsigned long long memorySizeMB;
} gi_profile_info_t;
typedef struct {
    unsigned version, id, isP2pSupported, sliceCount, instanceCount, multiprocessorCount;
    unsigned copyEngineCount, decoderCount, encoderCount, jpegCount, ofaCount;
    unsigned long long memorySizeMB;
    char name[96];
} gi_profile_info_v2_t;
typedef struct { void *device; unsigned id, profileId; placement_t placement; } gi_info_t;
typedef struct {
    unsigned id, sliceCount, instanceCount, multiprocessorCount;
    unsigned sharedCopyEngineCount, sharedDecoderCount, sharedEncoderCount, sharedJpegCount,
        sharedOfaCount;
} ci_profile_info_t;
typedef struct { void *device; void *gpuInstance; unsigned id, profileId; placement_t placement; } ci_info_t;
typedef struct { unsigned long long total, free, used; } memory_v1_t;
typedef struct { unsigned version; unsigned long long total, reserved, free, used; } memory_v2_t;
typedef struct { unsigned gpu, memory; } utilization_t;
typedef struct { unsigned pid; unsigned long long usedGpuMemory; unsigned gpuInstanceId, computeInstanceId; } process_t;

/* ---- models ---- */
#define NPROF 7
#define NO_ID 0xFFFFFFFFu
typedef struct {
    unsigned index, id, slices, mem_slices, max, starts_mask, sms;
    unsigned long long mem_mib;
    const char *name;
} profile_t;
typedef struct {
    const char *key, *name;
    unsigned long long mem_mib;
    unsigned sms;
    profile_t prof[NPROF];
} model_t;

/* Geometry per profile (index, id, compute slices, memory slices, max, allowed starts). */
#define G19 0, 19, 1, 1, 7, 0x7f
#define G20 7, 20, 1, 1, 1, 0x7f
#define G15 9, 15, 1, 2, 4, 0x55
#define G14 1, 14, 2, 2, 3, 0x15
#define G9 2, 9, 3, 4, 2, 0x11
#define G5 3, 5, 4, 4, 1, 0x01
#define G0 4, 0, 7, 8, 1, 0x01

static const model_t MODELS[] = {
    /* A100-80GB MIG memory as nvidia-smi shows it on recent drivers (issue 15): 9.50 / 19.50 /
       39.25 GiB for 1g / 2g / 3g. */
    {"A100-80GB", "NVIDIA A100-SXM4-80GB", 81920, 108,
     {{G19, 14, 9728, "1g.10gb"}, {G20, 14, 9728, "1g.10gb+me"}, {G15, 14, 19968, "1g.20gb"},
      {G14, 28, 19968, "2g.20gb"}, {G9, 42, 40192, "3g.40gb"}, {G5, 56, 40192, "4g.40gb"},
      {G0, 98, 81152, "7g.80gb"}}},
    {"H100-80GB", "NVIDIA H100 80GB HBM3", 81559, 132,
     {{G19, 16, 9984, "1g.10gb"}, {G20, 16, 9984, "1g.10gb+me"}, {G15, 26, 20096, "1g.20gb"},
      {G14, 32, 20096, "2g.20gb"}, {G9, 60, 40448, "3g.40gb"}, {G5, 64, 40448, "4g.40gb"},
      {G0, 132, 81152, "7g.80gb"}}},
    {"H200-141GB", "NVIDIA H200", 143771, 132,
     {{G19, 16, 16384, "1g.18gb"}, {G20, 16, 16384, "1g.18gb+me"}, {G15, 26, 33024, "1g.35gb"},
      {G14, 32, 33024, "2g.35gb"}, {G9, 60, 71168, "3g.71gb"}, {G5, 64, 71168, "4g.71gb"},
      {G0, 132, 143104, "7g.141gb"}}},
};
#define NMODELS (sizeof MODELS / sizeof MODELS[0])

/* Compute-instance profile index -> compute slices (0 = not offered). */
static const unsigned CI_SLICES[9] = {1, 2, 3, 4, 7, 0, 0, 0, 0};
/* Profile index bounds of NVML API 13 (nvml.h: NVML_GPU_INSTANCE_PROFILE_COUNT 0x12,
 * NVML_COMPUTE_INSTANCE_PROFILE_COUNT 9): an index at or past them answers INVALID_ARGUMENT, an
 * index below them that this GPU does not offer answers NOT_SUPPORTED. */
#define GI_PROFILE_COUNT 0x12
#define CI_PROFILE_COUNT 9

/* ---- state ---- */
#define MAX_GPUS 8
#define MAX_GI 8
#define MAX_CI 8
#define MAX_PROCS 16
#define MAX_LINES 32

typedef struct fake_ci { int used; unsigned id, profile, start, size; } fake_ci;
typedef struct fake_gi {
    int used;
    unsigned id, profile, start, size;
    fake_ci ci[MAX_CI];
} fake_gi;
typedef struct { unsigned pid, gi, ci; unsigned long long used_mib; } fake_proc;
typedef struct fake_gpu {
    int used;
    const model_t *model;
    profile_t prof[NPROF]; /* the model's table with overrides applied */
    unsigned mig, pending, immediate, compute_mode, mps_pid, persistence, power_limit_mw;
    char uuid[80];
    unsigned util, memutil, power_mw, smclk, memclk;
    unsigned long long used_mib;
    fake_gi gi[MAX_GI];
    fake_proc proc[MAX_PROCS];
    int nproc;
} fake_gpu;
typedef struct { int magic; int gpu, gi, ci; } mig_handle;

static pthread_mutex_t LOCK = PTHREAD_MUTEX_INITIALIZER;
static int REFS;
static fake_gpu GPUS[MAX_GPUS];
static int NGPUS;
static mig_handle MIGH[MAX_GPUS][MAX_GI][MAX_CI];
static char DRIVER[64] = "550.00-fake";
static char STATE_PATH[4096];
static char KEEP[MAX_LINES][256]; /* override and fault lines, written back verbatim */
static int NKEEP;

/* ---- faults ---- */
enum { F_INIT, F_SET_MIG_MODE, F_GET_MIG_MODE, F_CREATE_GI, F_DESTROY_GI, F_CREATE_CI,
       F_DESTROY_CI, F_GET_GIS, F_GET_CIS, F_PLACEMENTS, F_PROFILE_INFO, F_PROCESSES,
       F_UTILIZATION, F_MEMORY, F_POWER, F_MIG_HANDLE, F_COUNT };
static const char *FNAMES[F_COUNT] = {
    "init", "set_mig_mode", "get_mig_mode", "create_gi", "destroy_gi", "create_ci",
    "destroy_ci", "get_gis", "get_cis", "placements", "profile_info", "processes",
    "utilization", "memory", "power", "mig_handle"};
#define MAX_FAULTS 32
typedef struct { int fn; unsigned nth; int and_later; int code; unsigned sleep_ms; } fault_t;
static fault_t FAULTS[MAX_FAULTS];
static int NFAULTS;
static unsigned CALLS[F_COUNT];
static pthread_mutex_t FAULT_LOCK = PTHREAD_MUTEX_INITIALIZER;

static const struct { const char *name; int code; } CODES[] = {
    {"UNINITIALIZED", E_UNINITIALIZED}, {"INVALID_ARGUMENT", E_INVALID_ARGUMENT},
    {"NOT_SUPPORTED", E_NOT_SUPPORTED}, {"NO_PERMISSION", E_NO_PERMISSION},
    {"NOT_FOUND", E_NOT_FOUND}, {"DRIVER_NOT_LOADED", E_DRIVER_NOT_LOADED},
    {"GPU_IS_LOST", E_GPU_IS_LOST}, {"RESET_REQUIRED", E_RESET_REQUIRED}, {"IN_USE", E_IN_USE},
    {"INSUFFICIENT_RESOURCES", E_INSUFFICIENT_RESOURCES}, {"INVALID_STATE", E_INVALID_STATE},
    {"UNKNOWN", E_UNKNOWN}};

/* Parses "name[@N[+]]=CODE|SLEEP<ms>"; ignores what it cannot read. */
static void add_fault(const char *spec) {
    char buf[128], *eq, *at;
    int fn = -1;
    fault_t f = {0};
    if (NFAULTS >= MAX_FAULTS) return;
    snprintf(buf, sizeof buf, "%s", spec);
    eq = strchr(buf, '=');
    if (!eq) return;
    *eq = 0;
    at = strchr(buf, '@');
    if (at) {
        *at = 0;
        f.nth = (unsigned)strtoul(at + 1, NULL, 10);
        f.and_later = strchr(at + 1, '+') != NULL;
    }
    for (int i = 0; i < F_COUNT; i++)
        if (strcmp(buf, FNAMES[i]) == 0) fn = i;
    if (fn < 0) {
        fprintf(stderr, "fake-nvml: unknown function in fault `%s`\n", spec);
        return;
    }
    f.fn = fn;
    if (strncmp(eq + 1, "SLEEP", 5) == 0) {
        f.sleep_ms = (unsigned)strtoul(eq + 6, NULL, 10);
    } else {
        f.code = -1;
        for (size_t i = 0; i < sizeof CODES / sizeof CODES[0]; i++)
            if (strcmp(eq + 1, CODES[i].name) == 0) f.code = CODES[i].code;
        if (f.code < 0) {
            fprintf(stderr, "fake-nvml: unknown error in fault `%s`\n", spec);
            return;
        }
    }
    FAULTS[NFAULTS++] = f;
}

static void add_faults(const char *list) {
    char buf[1024], *save = NULL;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) add_fault(t);
}

/* Counts a call of `fn` and returns the injected error for it, or 0 (sleeping if asked). */
static int fault(int fn) {
    unsigned sleep_ms = 0;
    int code = 0;
    pthread_mutex_lock(&FAULT_LOCK);
    unsigned n = ++CALLS[fn];
    for (int i = 0; i < NFAULTS; i++) {
        fault_t *f = &FAULTS[i];
        if (f->fn != fn) continue;
        if (f->nth && !(n == f->nth || (f->and_later && n > f->nth))) continue;
        if (f->sleep_ms) sleep_ms += f->sleep_ms;
        else if (!code) code = f->code;
    }
    pthread_mutex_unlock(&FAULT_LOCK);
    if (sleep_ms) {
        struct timespec ts = {sleep_ms / 1000, (long)(sleep_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return code;
}

/* ---- state file ---- */
static const model_t *find_model(const char *key) {
    for (size_t i = 0; i < NMODELS; i++)
        if (strcasecmp(MODELS[i].key, key) == 0) return &MODELS[i];
    return NULL;
}

static fake_gpu *new_gpu(const model_t *m) {
    if (!m || NGPUS >= MAX_GPUS) return NULL;
    fake_gpu *g = &GPUS[NGPUS];
    memset(g, 0, sizeof *g);
    g->used = 1;
    g->model = m;
    memcpy(g->prof, m->prof, sizeof g->prof);
    snprintf(g->uuid, sizeof g->uuid, "GPU-fa4e0000-0000-4000-8000-%012x", 0x5117ce00 + NGPUS);
    g->immediate = 1; /* bare metal: the driver resets an idle GPU itself */
    g->power_mw = 62000;
    g->persistence = 1;
    g->power_limit_mw = 700000;
    g->smclk = 1410;
    g->memclk = 1593;
    NGPUS++;
    return g;
}

/* Copies src into dst (n bytes), truncating. */
static void set_str(char *dst, size_t n, const char *src) {
    size_t len = strlen(src);
    if (len >= n) len = n - 1;
    memcpy(dst, src, len);
    dst[len] = 0;
}

/* Value of `key=` in a line of space-separated pairs, or NULL. */
static const char *val(const char *line, const char *key, char *out, size_t n) {
    size_t k = strlen(key);
    for (const char *p = line; (p = strstr(p, key)); p++) {
        if ((p == line || p[-1] == ' ') && p[k] == '=') {
            size_t i = 0;
            p += k + 1;
            while (*p && *p != ' ' && *p != '\n' && i + 1 < n) out[i++] = *p++;
            out[i] = 0;
            return out;
        }
    }
    return NULL;
}

static unsigned uval(const char *line, const char *key, unsigned dflt) {
    char b[64];
    return val(line, key, b, sizeof b) ? (unsigned)strtoul(b, NULL, 0) : dflt;
}

static void apply_override(const char *line) {
    unsigned gpu = (unsigned)strtoul(line + 9, NULL, 10), id = uval(line, "profile", NO_ID);
    char b[64];
    if (gpu >= (unsigned)NGPUS) return;
    for (int i = 0; i < NPROF; i++) {
        profile_t *p = &GPUS[gpu].prof[i];
        if (p->id != id) continue;
        p->sms = uval(line, "sms", p->sms);
        p->index = uval(line, "index", p->index);
        p->max = uval(line, "max", p->max);
        p->mem_slices = uval(line, "size", p->mem_slices);
        if (val(line, "mem_mib", b, sizeof b)) p->mem_mib = strtoull(b, NULL, 10);
        if (val(line, "starts", b, sizeof b)) {
            char *save = NULL;
            p->starts_mask = 0;
            for (char *t = strtok_r(b, ",", &save); t; t = strtok_r(NULL, ",", &save))
                p->starts_mask |= 1u << strtoul(t, NULL, 10);
        }
    }
}

static void state_path(void) {
    const char *env = getenv("FAKE_NVML_STATE");
    Dl_info info;
    if (env && *env) {
        snprintf(STATE_PATH, sizeof STATE_PATH, "%s", env);
        return;
    }
    if (dladdr((void *)&state_path, &info) && info.dli_fname) {
        const char *slash = strrchr(info.dli_fname, '/');
        int dir = slash ? (int)(slash - info.dli_fname) : 1;
        snprintf(STATE_PATH, sizeof STATE_PATH, "%.*s/fake-nvml-state", dir,
                 slash ? info.dli_fname : ".");
    } else {
        snprintf(STATE_PATH, sizeof STATE_PATH, "fake-nvml-state");
    }
}

static int save_state(void) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", STATE_PATH, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return E_UNKNOWN;
    fprintf(f, "# fake NVML state (slicesim test double, not a real GPU); see "
               "hil/fake-nvml/README.md\n");
    fprintf(f, "driver %s\n", DRIVER);
    for (int i = 0; i < NGPUS; i++) {
        fake_gpu *g = &GPUS[i];
        fprintf(f, "gpu %d model=%s mig=%u pending=%u immediate=%u uuid=%s util=%u memutil=%u "
                   "power_mw=%u smclk=%u memclk=%u used_mib=%llu compute_mode=%u mps_pid=%u "
                   "persistence=%u power_limit_mw=%u\n",
                i, g->model->key, g->mig, g->pending, g->immediate, g->uuid, g->util, g->memutil,
                g->power_mw, g->smclk, g->memclk, g->used_mib, g->compute_mode, g->mps_pid,
                g->persistence, g->power_limit_mw);
        for (int s = 0; s < MAX_GI; s++) {
            fake_gi *gi = &g->gi[s];
            if (!gi->used) continue;
            fprintf(f, "gi %d id=%u profile=%u start=%u\n", i, gi->id, gi->profile, gi->start);
            for (int c = 0; c < MAX_CI; c++)
                if (gi->ci[c].used)
                    fprintf(f, "ci %d gi=%u id=%u profile=%u start=%u\n", i, gi->id,
                            gi->ci[c].id, gi->ci[c].profile, gi->ci[c].start);
        }
        for (int p = 0; p < g->nproc; p++) {
            fake_proc *pr = &g->proc[p];
            fprintf(f, "proc %d pid=%u used_mib=%llu", i, pr->pid, pr->used_mib);
            if (pr->gi != NO_ID) fprintf(f, " gi=%u ci=%u", pr->gi, pr->ci);
            fprintf(f, "\n");
        }
    }
    for (int k = 0; k < NKEEP; k++) fprintf(f, "%s\n", KEEP[k]);
    if (fclose(f) != 0 || rename(tmp, STATE_PATH) != 0) return E_UNKNOWN;
    return OK;
}

static const profile_t *profile_by_id(const fake_gpu *g, unsigned id) {
    for (int i = 0; i < NPROF; i++)
        if (g->prof[i].id == id) return &g->prof[i];
    return NULL;
}

static fake_gi *gi_by_id(fake_gpu *g, unsigned id) {
    for (int s = 0; s < MAX_GI; s++)
        if (g->gi[s].used && g->gi[s].id == id) return &g->gi[s];
    return NULL;
}

static void load_line(char *line) {
    char b[128];
    line[strcspn(line, "\n")] = 0;
    if (!*line || *line == '#') return;
    if (strncmp(line, "driver ", 7) == 0) {
        set_str(DRIVER, sizeof DRIVER, line + 7);
    } else if (strncmp(line, "gpu ", 4) == 0) {
        fake_gpu *g = new_gpu(find_model(val(line, "model", b, sizeof b) ? b : "A100-80GB"));
        if (!g) return;
        g->mig = uval(line, "mig", 0);
        g->pending = uval(line, "pending", g->mig);
        g->immediate = uval(line, "immediate", 1);
        g->compute_mode = uval(line, "compute_mode", 0);
        g->mps_pid = uval(line, "mps_pid", 0);
        g->persistence = uval(line, "persistence", 1);
        g->power_limit_mw = uval(line, "power_limit_mw", g->power_limit_mw);
        if (val(line, "uuid", b, sizeof b)) set_str(g->uuid, sizeof g->uuid, b);
        g->util = uval(line, "util", 0);
        g->memutil = uval(line, "memutil", 0);
        g->power_mw = uval(line, "power_mw", g->power_mw);
        g->smclk = uval(line, "smclk", g->smclk);
        g->memclk = uval(line, "memclk", g->memclk);
        if (val(line, "used_mib", b, sizeof b)) g->used_mib = strtoull(b, NULL, 10);
    } else if (strncmp(line, "gi ", 3) == 0 || strncmp(line, "ci ", 3) == 0 ||
               strncmp(line, "proc ", 5) == 0) {
        unsigned gpu = (unsigned)strtoul(strchr(line, ' ') + 1, NULL, 10);
        if (gpu >= (unsigned)NGPUS) return;
        fake_gpu *g = &GPUS[gpu];
        if (line[0] == 'g') {
            const profile_t *p = profile_by_id(g, uval(line, "profile", NO_ID));
            for (int s = 0; p && s < MAX_GI; s++) {
                if (g->gi[s].used) continue;
                g->gi[s] = (fake_gi){1, uval(line, "id", 1), p->id, uval(line, "start", 0),
                                     p->mem_slices, {{0}}};
                break;
            }
        } else if (line[0] == 'c') {
            fake_gi *gi = gi_by_id(g, uval(line, "gi", NO_ID));
            unsigned prof = uval(line, "profile", 0);
            for (int c = 0; gi && prof < CI_PROFILE_COUNT && c < MAX_CI; c++) {
                if (gi->ci[c].used) continue;
                gi->ci[c] = (fake_ci){1, uval(line, "id", 0), prof, uval(line, "start", 0),
                                      CI_SLICES[prof]};
                break;
            }
        } else if (g->nproc < MAX_PROCS) {
            fake_proc *pr = &g->proc[g->nproc++];
            pr->pid = uval(line, "pid", 0);
            pr->used_mib = val(line, "used_mib", b, sizeof b) ? strtoull(b, NULL, 10) : 0;
            pr->gi = uval(line, "gi", NO_ID);
            pr->ci = uval(line, "ci", NO_ID);
        }
    } else if (strncmp(line, "override ", 9) == 0 || strncmp(line, "fault ", 6) == 0) {
        if (NKEEP < MAX_LINES) set_str(KEEP[NKEEP++], sizeof KEEP[0], line);
        if (line[0] == 'o') apply_override(line);
        else add_faults(line + 6);
    }
}

/* A GPU reset: pending MIG mode becomes current; instances do not survive it. */
static void reset_gpu(fake_gpu *g) {
    g->mig = g->pending;
    memset(g->gi, 0, sizeof g->gi);
}

static int load_state(void) {
    char line[512];
    NGPUS = 0;
    NKEEP = 0;
    NFAULTS = 0;
    unsigned inits = CALLS[F_INIT]; /* init calls count across re-initialisations */
    memset(CALLS, 0, sizeof CALLS);
    CALLS[F_INIT] = inits;
    memset(MIGH, 0, sizeof MIGH);
    state_path();
    FILE *f = fopen(STATE_PATH, "r");
    if (f) {
        while (fgets(line, sizeof line, f)) load_line(line);
        fclose(f);
    } else {
        const char *env = getenv("FAKE_NVML_GPUS");
        char buf[512], *save = NULL;
        snprintf(buf, sizeof buf, "%s", env && *env ? env : "A100-80GB,H100-80GB");
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            char *colon = strchr(t, ':');
            if (colon) *colon = 0;
            fake_gpu *g = new_gpu(find_model(t));
            if (!g) {
                fprintf(stderr, "fake-nvml: unknown model `%s`\n", t);
                continue;
            }
            if (colon && strcmp(colon + 1, "mig") == 0) g->mig = g->pending = 1;
        }
    }
    const char *env = getenv("FAKE_NVML_FAULTS");
    int changed = !f; /* a new file is written once; reading alone changes nothing */
    if (env) add_faults(env);
    env = getenv("FAKE_NVML_RESET");
    if (env && *env) {
        for (int i = 0; i < NGPUS; i++) {
            char idx[16];
            snprintf(idx, sizeof idx, "%d", i);
            if (strcmp(env, "all") == 0 || strstr(env, idx)) {
                reset_gpu(&GPUS[i]);
                changed = 1;
            }
        }
    }
    return changed ? save_state() : OK;
}

/* ---- handles ---- */
static fake_gpu *as_gpu(void *h) {
    fake_gpu *g = h;
    if (g >= GPUS && g < GPUS + NGPUS && ((char *)g - (char *)GPUS) % sizeof *g == 0) return g;
    return NULL;
}
static mig_handle *as_mig(void *h) {
    mig_handle *m = h;
    if ((char *)m >= (char *)MIGH && (char *)m < (char *)MIGH + sizeof MIGH && m->magic == 0x4d49)
        return m;
    return NULL;
}
static fake_gi *as_gi(void *h, fake_gpu **gpu) {
    for (int i = 0; i < NGPUS; i++)
        for (int s = 0; s < MAX_GI; s++)
            if (h == &GPUS[i].gi[s] && GPUS[i].gi[s].used) {
                if (gpu) *gpu = &GPUS[i];
                return &GPUS[i].gi[s];
            }
    return NULL;
}
static fake_ci *as_ci(void *h, fake_gpu **gpu, fake_gi **gi) {
    for (int i = 0; i < NGPUS; i++)
        for (int s = 0; s < MAX_GI; s++)
            for (int c = 0; c < MAX_CI; c++)
                if (h == &GPUS[i].gi[s].ci[c] && GPUS[i].gi[s].used && GPUS[i].gi[s].ci[c].used) {
                    if (gpu) *gpu = &GPUS[i];
                    if (gi) *gi = &GPUS[i].gi[s];
                    return &GPUS[i].gi[s].ci[c];
                }
    return NULL;
}

#define ENTER()                                                                                \
    pthread_mutex_lock(&LOCK);                                                                 \
    if (!REFS) {                                                                               \
        pthread_mutex_unlock(&LOCK);                                                           \
        return E_UNINITIALIZED;                                                                \
    }
#define LEAVE(code)                                                                            \
    do {                                                                                       \
        int rc_ = (code);                                                                      \
        pthread_mutex_unlock(&LOCK);                                                           \
        return rc_;                                                                            \
    } while (0)
#define FAULT(fn)                                                                              \
    do {                                                                                       \
        int f_ = fault(fn);                                                                    \
        if (f_) return f_;                                                                     \
    } while (0)

/* ---- write guard and privileges ---- */
static int env_on(const char *name) {
    const char *v = getenv(name);
    return v && strcmp(v, "1") == 0;
}

/* Every entry point that changes a GPU calls this first. With FAKE_NVML_FORBID_WRITES=1 the
 * attempt is reported on stderr, appended to `<state file>.write-attempts` (so a test can count
 * attempts across processes) and refused with NO_PERMISSION. Without root (FAKE_NVML_NOT_ROOT=1)
 * every write answers NO_PERMISSION, as the driver does without the mig/config capability. */
static int write_attempt(const char *call) {
    if (env_on("FAKE_NVML_FORBID_WRITES")) {
        char log[4200];
        fprintf(stderr, "FAKE-NVML WRITE ATTEMPT %s\n", call);
        snprintf(log, sizeof log, "%s.write-attempts", STATE_PATH[0] ? STATE_PATH : "fake-nvml-state");
        FILE *f = fopen(log, "a");
        if (f) {
            fprintf(f, "%s pid=%d\n", call, (int)getpid());
            fclose(f);
        }
        return E_NO_PERMISSION;
    }
    return env_on("FAKE_NVML_NOT_ROOT") ? E_NO_PERMISSION : OK;
}
#define WRITE(call)                                                                            \
    do {                                                                                       \
        int w_ = write_attempt(call);                                                          \
        if (w_) return w_;                                                                     \
    } while (0)
/* Calls that need root (or the mig/monitor capability) on a real driver. */
#define PRIVILEGED()                                                                           \
    do {                                                                                       \
        if (env_on("FAKE_NVML_NOT_ROOT")) return E_NO_PERMISSION;                              \
    } while (0)

/* ---- init ---- */
/* The state (and with it the `fault` lines and $FAKE_NVML_FAULTS) is loaded before the `init`
 * fault is checked, so `init=...` faults do fire. */
EXPORT int nvmlInit_v2(void) {
    pthread_mutex_lock(&LOCK);
    int rc = REFS == 0 ? load_state() : OK;
    pthread_mutex_unlock(&LOCK);
    if (rc != OK) return rc;
    FAULT(F_INIT);
    pthread_mutex_lock(&LOCK);
    REFS++;
    pthread_mutex_unlock(&LOCK);
    return OK;
}
EXPORT int nvmlInitWithFlags(unsigned flags) {
    (void)flags;
    return nvmlInit_v2();
}
EXPORT int nvmlShutdown(void) {
    pthread_mutex_lock(&LOCK);
    if (REFS > 0) REFS--;
    pthread_mutex_unlock(&LOCK);
    return OK;
}
EXPORT const char *nvmlErrorString(int code) {
    for (size_t i = 0; i < sizeof CODES / sizeof CODES[0]; i++)
        if (CODES[i].code == code) return CODES[i].name;
    return code == OK ? "SUCCESS" : "UNKNOWN";
}

static int copy_str(char *dst, unsigned len, const char *src) {
    if (!dst) return E_INVALID_ARGUMENT;
    if (strlen(src) + 1 > len) return E_INSUFFICIENT_SIZE;
    memcpy(dst, src, strlen(src) + 1);
    return OK;
}

EXPORT int nvmlSystemGetDriverVersion(char *version, unsigned len) {
    ENTER();
    LEAVE(copy_str(version, len, DRIVER));
}
EXPORT int nvmlSystemGetNVMLVersion(char *version, unsigned len) {
    ENTER();
    LEAVE(copy_str(version, len, "12.550.00-fake"));
}
EXPORT int nvmlSystemGetCudaDriverVersion(int *v) {
    ENTER();
    if (!v) LEAVE(E_INVALID_ARGUMENT);
    *v = 12040;
    LEAVE(OK);
}
EXPORT int nvmlSystemGetCudaDriverVersion_v2(int *v) { return nvmlSystemGetCudaDriverVersion(v); }

/* ---- devices ---- */
EXPORT int nvmlDeviceGetCount_v2(unsigned *count) {
    ENTER();
    if (!count) LEAVE(E_INVALID_ARGUMENT);
    *count = (unsigned)NGPUS;
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetHandleByIndex_v2(unsigned index, void **device) {
    ENTER();
    if (!device || index >= (unsigned)NGPUS) LEAVE(E_INVALID_ARGUMENT);
    *device = &GPUS[index];
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetHandleByUUID(const char *uuid, void **device) {
    ENTER();
    if (!uuid || !device) LEAVE(E_INVALID_ARGUMENT);
    for (int i = 0; i < NGPUS; i++)
        if (strcmp(GPUS[i].uuid, uuid) == 0) {
            *device = &GPUS[i];
            LEAVE(OK);
        }
    LEAVE(E_NOT_FOUND);
}
EXPORT int nvmlDeviceGetIndex(void *device, unsigned *index) {
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !index) LEAVE(E_INVALID_ARGUMENT);
    *index = (unsigned)(g - GPUS);
    LEAVE(OK);
}

static const profile_t *mig_profile(mig_handle *m) {
    fake_gpu *g = &GPUS[m->gpu];
    return profile_by_id(g, g->gi[m->gi].profile);
}

EXPORT int nvmlDeviceGetName(void *device, char *name, unsigned len) {
    ENTER();
    char buf[128];
    fake_gpu *g = as_gpu(device);
    mig_handle *m = as_mig(device);
    if (g) LEAVE(copy_str(name, len, g->model->name));
    if (!m) LEAVE(E_INVALID_ARGUMENT);
    snprintf(buf, sizeof buf, "%s MIG %s", GPUS[m->gpu].model->name, mig_profile(m)->name);
    LEAVE(copy_str(name, len, buf));
}
EXPORT int nvmlDeviceGetUUID(void *device, char *uuid, unsigned len) {
    ENTER();
    char buf[96];
    fake_gpu *g = as_gpu(device);
    mig_handle *m = as_mig(device);
    if (g) LEAVE(copy_str(uuid, len, g->uuid));
    if (!m) LEAVE(E_INVALID_ARGUMENT);
    snprintf(buf, sizeof buf, "MIG-fa4e%04x-%04x-4000-8000-%012x", m->gpu,
             GPUS[m->gpu].gi[m->gi].id, 0xc1000 + GPUS[m->gpu].gi[m->gi].ci[m->ci].id);
    LEAVE(copy_str(uuid, len, buf));
}

/* Memory used by processes on GPU g, limited to GPU instance `gi` unless it is NO_ID. */
static unsigned long long proc_mib(const fake_gpu *g, unsigned gi) {
    unsigned long long sum = 0;
    for (int p = 0; p < g->nproc; p++)
        if (gi == NO_ID || g->proc[p].gi == gi) sum += g->proc[p].used_mib;
    return sum;
}

static int memory(void *device, unsigned long long *total, unsigned long long *used) {
    fake_gpu *g = as_gpu(device);
    mig_handle *m = as_mig(device);
    if (g) {
        *total = g->model->mem_mib;
        *used = g->used_mib + proc_mib(g, NO_ID);
    } else if (m) {
        fake_gpu *pg = &GPUS[m->gpu];
        *total = mig_profile(m)->mem_mib;
        *used = proc_mib(pg, pg->gi[m->gi].id);
    } else {
        return E_INVALID_ARGUMENT;
    }
    if (*used > *total) *used = *total;
    *total <<= 20;
    *used <<= 20;
    return OK;
}
EXPORT int nvmlDeviceGetMemoryInfo(void *device, memory_v1_t *mem) {
    FAULT(F_MEMORY);
    ENTER();
    unsigned long long total, used;
    if (!mem) LEAVE(E_INVALID_ARGUMENT);
    int rc = memory(device, &total, &used);
    if (rc) LEAVE(rc);
    *mem = (memory_v1_t){total, total - used, used};
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetMemoryInfo_v2(void *device, memory_v2_t *mem) {
    FAULT(F_MEMORY);
    ENTER();
    unsigned long long total, used;
    if (!mem) LEAVE(E_INVALID_ARGUMENT);
    if (mem->version != (unsigned)(sizeof(memory_v2_t) | (2u << 24))) LEAVE(E_ARGUMENT_VERSION_MISMATCH);
    int rc = memory(device, &total, &used);
    if (rc) LEAVE(rc);
    mem->total = total;
    mem->reserved = 0;
    mem->free = total - used;
    mem->used = used;
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetUtilizationRates(void *device, utilization_t *u) {
    FAULT(F_UTILIZATION);
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (as_mig(device)) LEAVE(E_NOT_SUPPORTED); /* not attributed per MIG instance */
    if (!g || !u) LEAVE(E_INVALID_ARGUMENT);
    if (g->mig) LEAVE(E_NOT_SUPPORTED); /* real drivers report N/A on a MIG-enabled parent */
    u->gpu = g->util;
    u->memory = g->memutil;
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetPowerUsage(void *device, unsigned *mw) {
    FAULT(F_POWER);
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (as_mig(device)) LEAVE(E_NOT_SUPPORTED);
    if (!g || !mw) LEAVE(E_INVALID_ARGUMENT);
    *mw = g->power_mw;
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetClockInfo(void *device, unsigned type, unsigned *mhz) {
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !mhz || type > 3) LEAVE(E_INVALID_ARGUMENT);
    *mhz = type == 2 ? g->memclk : g->smclk;
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetMaxClockInfo(void *device, unsigned type, unsigned *mhz) {
    return nvmlDeviceGetClockInfo(device, type, mhz);
}
EXPORT int nvmlDeviceGetTemperature(void *device, unsigned sensor, unsigned *temp) {
    ENTER();
    if (!as_gpu(device) || sensor != 0 || !temp) LEAVE(E_INVALID_ARGUMENT);
    *temp = 41;
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetComputeRunningProcesses_v3(void *device, unsigned *count, process_t *out) {
    FAULT(F_PROCESSES);
    ENTER();
    fake_gpu *g = as_gpu(device);
    mig_handle *m = as_mig(device);
    unsigned gi = NO_ID, n = 0;
    if (m) {
        g = &GPUS[m->gpu];
        gi = g->gi[m->gi].id;
    }
    if (!g || !count) LEAVE(E_INVALID_ARGUMENT);
    for (int p = 0; p < g->nproc; p++)
        if (gi == NO_ID || g->proc[p].gi == gi) n++;
    if (!out || *count < n) {
        *count = n;
        LEAVE(n ? E_INSUFFICIENT_SIZE : OK);
    }
    n = 0;
    for (int p = 0; p < g->nproc; p++) {
        fake_proc *pr = &g->proc[p];
        if (gi != NO_ID && pr->gi != gi) continue;
        out[n++] = (process_t){pr->pid, pr->used_mib << 20, pr->gi, pr->ci};
    }
    *count = n;
    LEAVE(OK);
}

/* Compute mode (0 DEFAULT, 1 EXCLUSIVE_THREAD, 2 PROHIBITED, 3 EXCLUSIVE_PROCESS) and the MPS
 * server, from the gpu line's `compute_mode=` and `mps_pid=` (a running MPS server shows as one
 * MPS process). */
EXPORT int nvmlDeviceGetComputeMode(void *device, unsigned *mode) {
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !mode) LEAVE(E_INVALID_ARGUMENT);
    *mode = g->compute_mode;
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetPersistenceMode(void *device, unsigned *mode) {
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !mode) LEAVE(E_INVALID_ARGUMENT);
    *mode = g->persistence;
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetPowerManagementLimit(void *device, unsigned *mw) {
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !mw) LEAVE(E_INVALID_ARGUMENT);
    *mw = g->power_limit_mw;
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetApplicationsClock(void *device, unsigned type, unsigned *mhz) {
    return nvmlDeviceGetClockInfo(device, type, mhz);
}
EXPORT int nvmlDeviceGetMPSComputeRunningProcesses_v3(void *device, unsigned *count, process_t *out) {
    FAULT(F_PROCESSES);
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !count) LEAVE(E_INVALID_ARGUMENT);
    unsigned n = g->mps_pid ? 1 : 0;
    if (!out || *count < n) {
        *count = n;
        LEAVE(n ? E_INSUFFICIENT_SIZE : OK);
    }
    if (n) out[0] = (process_t){g->mps_pid, 0, NO_ID, NO_ID};
    *count = n;
    LEAVE(OK);
}

/* Other NVML writes the harness never makes: exported only so that an attempt is seen (and
 * refused) rather than missed as an absent symbol. */
#define WRITE_STUB(name)                                                                       \
    EXPORT int name(void *handle, ...) {                                                       \
        (void)handle;                                                                          \
        WRITE(#name);                                                                          \
        return E_NOT_SUPPORTED;                                                                \
    }
WRITE_STUB(nvmlDeviceSetComputeMode)
WRITE_STUB(nvmlDeviceSetPersistenceMode)
WRITE_STUB(nvmlDeviceSetEccMode)
WRITE_STUB(nvmlDeviceClearEccErrorCounts)
WRITE_STUB(nvmlDeviceSetApplicationsClocks)
WRITE_STUB(nvmlDeviceResetApplicationsClocks)
WRITE_STUB(nvmlDeviceSetGpuLockedClocks)
WRITE_STUB(nvmlDeviceResetGpuLockedClocks)
WRITE_STUB(nvmlDeviceSetMemoryLockedClocks)
WRITE_STUB(nvmlDeviceResetMemoryLockedClocks)
WRITE_STUB(nvmlDeviceSetPowerManagementLimit)
WRITE_STUB(nvmlDeviceSetGpuOperationMode)
WRITE_STUB(nvmlDeviceSetAutoBoostedClocksEnabled)
WRITE_STUB(nvmlDeviceSetAccountingMode)
WRITE_STUB(nvmlDeviceClearAccountingPids)
WRITE_STUB(nvmlDeviceSetDriverModel)
WRITE_STUB(nvmlDeviceSetAPIRestriction)
WRITE_STUB(nvmlDeviceSetVirtualizationMode)
WRITE_STUB(nvmlDeviceModifyDrainState)
WRITE_STUB(nvmlDeviceRemoveGpu_v2)
WRITE_STUB(nvmlDeviceDiscoverGpus)

/* ---- MIG mode ---- */
EXPORT int nvmlDeviceGetMigMode(void *device, unsigned *current, unsigned *pending) {
    FAULT(F_GET_MIG_MODE);
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !current || !pending) LEAVE(E_INVALID_ARGUMENT);
    *current = g->mig;
    *pending = g->pending;
    LEAVE(OK);
}
/* As nvml.h describes it: the pending mode is set and the call succeeds; `activation` says
 * whether the driver could activate it (it resets an idle GPU itself on bare metal, immediate=1),
 * RESET_REQUIRED (pass-through, immediate=0) or IN_USE (processes hold the GPU). */
EXPORT int nvmlDeviceSetMigMode(void *device, unsigned mode, int *activation) {
    WRITE("nvmlDeviceSetMigMode");
    FAULT(F_SET_MIG_MODE);
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !activation || mode > 1) LEAVE(E_INVALID_ARGUMENT);
    for (int s = 0; s < MAX_GI; s++)
        if (g->gi[s].used && mode == 0) LEAVE(E_IN_USE);
    g->pending = mode;
    *activation = OK;
    if (g->mig != mode) {
        if (g->nproc > 0) *activation = E_IN_USE;
        else if (g->immediate) reset_gpu(g);
        else *activation = E_RESET_REQUIRED;
    }
    LEAVE(save_state());
}

/* ---- GPU instance profiles and placements ---- */
EXPORT int nvmlDeviceGetGpuInstanceProfileInfo(void *device, unsigned index, gi_profile_info_t *info) {
    FAULT(F_PROFILE_INFO);
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !info || index >= GI_PROFILE_COUNT) LEAVE(E_INVALID_ARGUMENT);
    if (!g->mig) LEAVE(E_NOT_SUPPORTED);
    for (int i = 0; i < NPROF; i++) {
        const profile_t *p = &g->prof[i];
        if (p->index != index) continue;
        memset(info, 0, sizeof *info);
        info->id = p->id;
        info->sliceCount = p->slices;
        info->instanceCount = p->max;
        info->multiprocessorCount = p->sms;
        info->copyEngineCount = p->slices;
        info->decoderCount = p->slices / 2;
        info->memorySizeMB = p->mem_mib;
        LEAVE(OK);
    }
    LEAVE(E_NOT_SUPPORTED);
}
EXPORT int nvmlDeviceGetGpuInstanceProfileInfoV(void *device, unsigned index, gi_profile_info_v2_t *info) {
    gi_profile_info_t v1;
    if (!info) return E_INVALID_ARGUMENT;
    if (info->version != (unsigned)(sizeof(gi_profile_info_v2_t) | (2u << 24)))
        return E_ARGUMENT_VERSION_MISMATCH;
    int rc = nvmlDeviceGetGpuInstanceProfileInfo(device, index, &v1);
    if (rc) return rc;
    pthread_mutex_lock(&LOCK);
    const profile_t *p = profile_by_id(as_gpu(device), v1.id);
    info->id = v1.id;
    info->isP2pSupported = v1.isP2pSupported;
    info->sliceCount = v1.sliceCount;
    info->instanceCount = v1.instanceCount;
    info->multiprocessorCount = v1.multiprocessorCount;
    info->copyEngineCount = v1.copyEngineCount;
    info->decoderCount = v1.decoderCount;
    info->encoderCount = v1.encoderCount;
    info->jpegCount = v1.jpegCount;
    info->ofaCount = v1.ofaCount;
    info->memorySizeMB = v1.memorySizeMB;
    snprintf(info->name, sizeof info->name, "MIG %s", p ? p->name : "?");
    pthread_mutex_unlock(&LOCK);
    return OK;
}
EXPORT int nvmlDeviceGetGpuInstancePossiblePlacements_v2(void *device, unsigned profileId,
                                                          placement_t *out, unsigned *count) {
    FAULT(F_PLACEMENTS);
    PRIVILEGED();
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !count) LEAVE(E_INVALID_ARGUMENT);
    /* nvml.h: "regardless of whether MIG is enabled or not" */
    const profile_t *p = profile_by_id(g, profileId);
    if (!p) LEAVE(E_INVALID_ARGUMENT);
    unsigned n = (unsigned)__builtin_popcount(p->starts_mask);
    if (!out) {
        *count = n;
        LEAVE(OK);
    }
    if (*count < n) {
        *count = n;
        LEAVE(E_INSUFFICIENT_SIZE);
    }
    n = 0;
    for (unsigned s = 0; s < 8; s++)
        if (p->starts_mask & (1u << s)) out[n++] = (placement_t){s, p->mem_slices};
    *count = n;
    LEAVE(OK);
}

/* ---- GPU instances ---- */
static unsigned used_mask(const fake_gpu *g) {
    unsigned mask = 0;
    for (int s = 0; s < MAX_GI; s++)
        if (g->gi[s].used) mask |= ((1u << g->gi[s].size) - 1) << g->gi[s].start;
    return mask;
}

static int create_gi(fake_gpu *g, unsigned profileId, placement_t pl, void **out) {
    const profile_t *p = profile_by_id(g, profileId);
    unsigned count = 0, slices = 0, id = 1, slot = MAX_GI;
    if (!p) return E_INVALID_ARGUMENT;
    if (pl.size != p->mem_slices || pl.start > 7 || !(p->starts_mask & (1u << pl.start)) ||
        pl.start + pl.size > 8)
        return E_INVALID_ARGUMENT;
    if (used_mask(g) & (((1u << pl.size) - 1) << pl.start)) return E_INSUFFICIENT_RESOURCES;
    for (int s = 0; s < MAX_GI; s++) {
        if (!g->gi[s].used) {
            if (slot == MAX_GI) slot = (unsigned)s;
            continue;
        }
        if (g->gi[s].profile == profileId) count++;
        slices += profile_by_id(g, g->gi[s].profile)->slices;
    }
    if (count >= p->max || slices + p->slices > 7 || slot == MAX_GI) return E_INSUFFICIENT_RESOURCES;
    while (gi_by_id(g, id)) id++;
    g->gi[slot] = (fake_gi){1, id, profileId, pl.start, pl.size, {{0}}};
    *out = &g->gi[slot];
    return save_state();
}
EXPORT int nvmlDeviceCreateGpuInstanceWithPlacement(void *device, unsigned profileId,
                                                    const placement_t *pl, void **gi) {
    WRITE("nvmlDeviceCreateGpuInstanceWithPlacement");
    FAULT(F_CREATE_GI);
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !pl || !gi) LEAVE(E_INVALID_ARGUMENT);
    if (!g->mig) LEAVE(E_INVALID_STATE);
    LEAVE(create_gi(g, profileId, *pl, gi));
}
/* Without a placement the driver picks the lowest free allowed start (first come). */
EXPORT int nvmlDeviceCreateGpuInstance(void *device, unsigned profileId, void **gi) {
    WRITE("nvmlDeviceCreateGpuInstance");
    FAULT(F_CREATE_GI);
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !gi) LEAVE(E_INVALID_ARGUMENT);
    if (!g->mig) LEAVE(E_INVALID_STATE);
    const profile_t *p = profile_by_id(g, profileId);
    if (!p) LEAVE(E_INVALID_ARGUMENT);
    for (unsigned s = 0; s < 8; s++) {
        if (!(p->starts_mask & (1u << s))) continue;
        if (create_gi(g, profileId, (placement_t){s, p->mem_slices}, gi) == OK) LEAVE(OK);
    }
    LEAVE(E_INSUFFICIENT_RESOURCES);
}
EXPORT int nvmlGpuInstanceDestroy(void *handle) {
    WRITE("nvmlGpuInstanceDestroy");
    FAULT(F_DESTROY_GI);
    ENTER();
    fake_gpu *g;
    fake_gi *gi = as_gi(handle, &g);
    if (!gi) LEAVE(E_INVALID_ARGUMENT);
    for (int c = 0; c < MAX_CI; c++)
        if (gi->ci[c].used) LEAVE(E_IN_USE);
    for (int p = 0; p < g->nproc; p++)
        if (g->proc[p].gi == gi->id) LEAVE(E_IN_USE);
    memset(gi, 0, sizeof *gi);
    LEAVE(save_state());
}
EXPORT int nvmlDeviceGetGpuInstances(void *device, unsigned profileId, void **out, unsigned *count) {
    FAULT(F_GET_GIS);
    PRIVILEGED();
    ENTER();
    fake_gpu *g = as_gpu(device);
    unsigned n = 0;
    if (!g || !out || !count) LEAVE(E_INVALID_ARGUMENT);
    if (!g->mig) LEAVE(E_NOT_SUPPORTED);
    if (!profile_by_id(g, profileId)) LEAVE(E_INVALID_ARGUMENT);
    for (int s = 0; s < MAX_GI; s++)
        if (g->gi[s].used && g->gi[s].profile == profileId) out[n++] = &g->gi[s];
    *count = n;
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetGpuInstanceById(void *device, unsigned id, void **out) {
    PRIVILEGED();
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !out) LEAVE(E_INVALID_ARGUMENT);
    fake_gi *gi = gi_by_id(g, id);
    if (!gi) LEAVE(E_NOT_FOUND);
    *out = gi;
    LEAVE(OK);
}
EXPORT int nvmlGpuInstanceGetInfo(void *handle, gi_info_t *info) {
    ENTER();
    fake_gpu *g;
    fake_gi *gi = as_gi(handle, &g);
    if (!gi || !info) LEAVE(E_INVALID_ARGUMENT);
    *info = (gi_info_t){g, gi->id, gi->profile, {gi->start, gi->size}};
    LEAVE(OK);
}

/* ---- compute instances ---- */
EXPORT int nvmlGpuInstanceGetComputeInstanceProfileInfo(void *handle, unsigned index, unsigned eng,
                                                        ci_profile_info_t *info) {
    FAULT(F_PROFILE_INFO);
    ENTER();
    fake_gpu *g;
    fake_gi *gi = as_gi(handle, &g);
    if (!gi || !info || eng != 0 || index >= CI_PROFILE_COUNT) LEAVE(E_INVALID_ARGUMENT);
    const profile_t *p = profile_by_id(g, gi->profile);
    unsigned slices = CI_SLICES[index];
    if (!slices || slices > p->slices) LEAVE(E_NOT_SUPPORTED);
    memset(info, 0, sizeof *info);
    info->id = index;
    info->sliceCount = slices;
    info->instanceCount = p->slices / slices;
    info->multiprocessorCount = p->sms * slices / p->slices;
    LEAVE(OK);
}
static int create_ci(fake_gi *gi, const profile_t *gp, unsigned prof, int start, void **out) {
    unsigned size, mask = 0;
    int slot = -1;
    unsigned id = 0;
    if (prof >= CI_PROFILE_COUNT || !(size = CI_SLICES[prof]) || size > gp->slices) return E_INVALID_ARGUMENT;
    for (int c = 0; c < MAX_CI; c++) {
        if (gi->ci[c].used) mask |= ((1u << gi->ci[c].size) - 1) << gi->ci[c].start;
        else if (slot < 0) slot = c;
    }
    if (start < 0) {
        for (unsigned s = 0; s + size <= gp->slices; s += size)
            if (!(mask & (((1u << size) - 1) << s))) {
                start = (int)s;
                break;
            }
        if (start < 0) return E_INSUFFICIENT_RESOURCES;
    } else if ((unsigned)start % size || (unsigned)start + size > gp->slices) {
        return E_INVALID_ARGUMENT;
    }
    if (slot < 0 || (mask & (((1u << size) - 1) << start))) return E_INSUFFICIENT_RESOURCES;
    for (int c = 0; c < MAX_CI; c++)
        if (gi->ci[c].used && gi->ci[c].id == id) {
            id++;
            c = -1;
        }
    gi->ci[slot] = (fake_ci){1, id, prof, (unsigned)start, size};
    *out = &gi->ci[slot];
    return save_state();
}
EXPORT int nvmlGpuInstanceCreateComputeInstance(void *handle, unsigned prof, void **ci) {
    WRITE("nvmlGpuInstanceCreateComputeInstance");
    FAULT(F_CREATE_CI);
    ENTER();
    fake_gpu *g;
    fake_gi *gi = as_gi(handle, &g);
    if (!gi || !ci) LEAVE(E_INVALID_ARGUMENT);
    LEAVE(create_ci(gi, profile_by_id(g, gi->profile), prof, -1, ci));
}
EXPORT int nvmlGpuInstanceCreateComputeInstanceWithPlacement(void *handle, unsigned prof,
                                                             const placement_t *pl, void **ci) {
    WRITE("nvmlGpuInstanceCreateComputeInstanceWithPlacement");
    FAULT(F_CREATE_CI);
    ENTER();
    fake_gpu *g;
    fake_gi *gi = as_gi(handle, &g);
    if (!gi || !ci || !pl) LEAVE(E_INVALID_ARGUMENT);
    if (prof < CI_PROFILE_COUNT && pl->size != CI_SLICES[prof]) LEAVE(E_INVALID_ARGUMENT);
    LEAVE(create_ci(gi, profile_by_id(g, gi->profile), prof, (int)pl->start, ci));
}
EXPORT int nvmlComputeInstanceDestroy(void *handle) {
    WRITE("nvmlComputeInstanceDestroy");
    FAULT(F_DESTROY_CI);
    ENTER();
    fake_gpu *g;
    fake_gi *gi;
    fake_ci *ci = as_ci(handle, &g, &gi);
    if (!ci) LEAVE(E_INVALID_ARGUMENT);
    for (int p = 0; p < g->nproc; p++)
        if (g->proc[p].gi == gi->id && g->proc[p].ci == ci->id) LEAVE(E_IN_USE);
    memset(ci, 0, sizeof *ci);
    LEAVE(save_state());
}
EXPORT int nvmlGpuInstanceGetComputeInstances(void *handle, unsigned prof, void **out, unsigned *count) {
    FAULT(F_GET_CIS);
    ENTER();
    fake_gi *gi = as_gi(handle, NULL);
    unsigned n = 0;
    if (!gi || !out || !count) LEAVE(E_INVALID_ARGUMENT);
    for (int c = 0; c < MAX_CI; c++)
        if (gi->ci[c].used && gi->ci[c].profile == prof) out[n++] = &gi->ci[c];
    *count = n;
    LEAVE(OK);
}
EXPORT int nvmlComputeInstanceGetInfo_v2(void *handle, ci_info_t *info) {
    ENTER();
    fake_gpu *g;
    fake_gi *gi;
    fake_ci *ci = as_ci(handle, &g, &gi);
    if (!ci || !info) LEAVE(E_INVALID_ARGUMENT);
    *info = (ci_info_t){g, gi, ci->id, ci->profile, {ci->start, ci->size}};
    LEAVE(OK);
}

/* ---- MIG device handles ---- */
EXPORT int nvmlDeviceGetMaxMigDeviceCount(void *device, unsigned *count) {
    ENTER();
    fake_gpu *g = as_gpu(device);
    if (!g || !count) LEAVE(E_INVALID_ARGUMENT);
    *count = g->mig ? 7 : 0;
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetMigDeviceHandleByIndex(void *device, unsigned index, void **out) {
    FAULT(F_MIG_HANDLE);
    ENTER();
    fake_gpu *g = as_gpu(device);
    unsigned n = 0;
    if (!g || !out) LEAVE(E_INVALID_ARGUMENT);
    if (!g->mig) LEAVE(E_NOT_SUPPORTED);
    /* MIG devices in order of GPU instance id, then compute instance id. */
    for (unsigned id = 0; id < 64; id++) {
        for (int s = 0; s < MAX_GI; s++) {
            if (!g->gi[s].used || g->gi[s].id != id) continue;
            for (unsigned cid = 0; cid < 64; cid++)
                for (int c = 0; c < MAX_CI; c++) {
                    if (!g->gi[s].ci[c].used || g->gi[s].ci[c].id != cid) continue;
                    if (n++ == index) {
                        int gpu = (int)(g - GPUS);
                        MIGH[gpu][s][c] = (mig_handle){0x4d49, gpu, s, c};
                        *out = &MIGH[gpu][s][c];
                        LEAVE(OK);
                    }
                }
        }
    }
    LEAVE(E_NOT_FOUND);
}
EXPORT int nvmlDeviceIsMigDeviceHandle(void *device, unsigned *is_mig) {
    ENTER();
    if (!is_mig) LEAVE(E_INVALID_ARGUMENT);
    *is_mig = as_mig(device) != NULL;
    LEAVE(as_mig(device) || as_gpu(device) ? OK : E_INVALID_ARGUMENT);
}
EXPORT int nvmlDeviceGetGpuInstanceId(void *device, unsigned *id) {
    ENTER();
    mig_handle *m = as_mig(device);
    if (!id) LEAVE(E_INVALID_ARGUMENT);
    if (!m) LEAVE(as_gpu(device) ? E_NOT_SUPPORTED : E_INVALID_ARGUMENT);
    *id = GPUS[m->gpu].gi[m->gi].id;
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetComputeInstanceId(void *device, unsigned *id) {
    ENTER();
    mig_handle *m = as_mig(device);
    if (!id) LEAVE(E_INVALID_ARGUMENT);
    if (!m) LEAVE(as_gpu(device) ? E_NOT_SUPPORTED : E_INVALID_ARGUMENT);
    *id = GPUS[m->gpu].gi[m->gi].ci[m->ci].id;
    LEAVE(OK);
}
EXPORT int nvmlDeviceGetDeviceHandleFromMigDeviceHandle(void *device, void **parent) {
    ENTER();
    mig_handle *m = as_mig(device);
    if (!m || !parent) LEAVE(E_INVALID_ARGUMENT);
    *parent = &GPUS[m->gpu];
    LEAVE(OK);
}
