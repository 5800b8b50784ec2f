// cuda_emu.cpp — cuda-emu: a CUDA driver (libcuda.so.1) that runs this project's kernels on the CPU,
// so that the whole CUDA backend — Java, JCuda's JNI binding, the driver calls, argument packing, grid
// sizes, the kernels' own code — is tested on machines without a GPU (CI).
//
// Use: put the directory holding this libcuda.so.1 first on LD_LIBRARY_PATH of a JVM; JCuda's binding
// then links against it instead of NVIDIA's driver (Maven's surefire execution "cuda-emulator" does).
// The device calls itself "cuda-emu"; Device.cuda(0) opens it like a GPU.
//
// What it implements: the driver calls lookahead4j makes (the list at the end of this file); any other
// one is not defined, so calling it stops the process with "undefined symbol", naming it.
//
// Faithful where bugs would hide:
//   - memory: each allocation has its own mapping between inaccessible guard pages, its start 256-byte
//     aligned and its end within 255 bytes of the upper guard; it starts filled with 0xff bytes (NaN
//     floats), as device memory is not zeroed; freed memory is unmapped (a later access faults); copies
//     and fills must lie inside one live allocation (else CUDA_ERROR_INVALID_VALUE).
//   - streams: work on a created stream is queued and runs only when that stream is synchronized (or
//     the legacy default stream is used, for blocking streams, or memory is freed), so a missing
//     synchronisation shows as stale data; kernel arguments are copied when the launch is enqueued.
//   - contexts: every call that needs one fails with CUDA_ERROR_INVALID_CONTEXT when the calling thread
//     has no current context; releasing the primary context's last reference destroys what it held.
//   - modules: the PTX is parsed; a function must be one of its .entry points and a kernel compiled
//     here (emu_kernels.cpp) with the same parameter sizes; launches check the block size against the
//     entry's .maxntid; a PTX ISA newer than the emulated driver gives CUDA_ERROR_UNSUPPORTED_PTX_VERSION.
//   - kernels: every CUDA thread runs, in order or (order=reverse) last to first; kernels whose PTX has
//     barriers run as fibers, one per thread, and a barrier that not every thread of a block reaches is
//     an error; float4 accesses are checked for 16-byte alignment (trap).
// Not emulated: concurrency between threads (they run one after the other, so races do not show), the
// GPU's own rounding (the host's IEEE float arithmetic with -ffp-contract=off stands for it).
//
// Settings, read by cuInit from the file named by LA_CUDA_EMU_CONFIG (key=value lines; all optional):
//   devices=1            number of devices (0: cuInit returns CUDA_ERROR_NO_DEVICE)
//   driver_version=13000 what cuDriverGetVersion says; PTX ISA 9.x needs >= 13000, 8.x >= 12000
//   sms=4                multiprocessors per device
//   memory=8589934592    bytes of device memory per device
//   cc=90                compute capability
//   trace=/path          append one line per driver call (name and sizes) to that file
//   order=reverse        run blocks and threads last to first (tests run both orders: a race or a
//                        missing barrier changes a result in one of them)
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "emu.h"

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

namespace {

enum : int {
    OK = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, NOT_INITIALIZED = 3, NO_DEVICE = 100, INVALID_DEVICE = 101,
    INVALID_IMAGE = 200, INVALID_CONTEXT = 201, NO_BINARY_FOR_GPU = 209, INVALID_PTX = 218,
    UNSUPPORTED_PTX_VERSION = 222, INVALID_HANDLE = 400, NOT_FOUND = 500, LAUNCH_OUT_OF_RESOURCES = 701,
    LAUNCH_FAILED = 719, NOT_SUPPORTED = 801, UNKNOWN = 999
};

const char* error_name(int r) {
    switch (r) {
        case OK: return "CUDA_SUCCESS";
        case INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
        case OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
        case NOT_INITIALIZED: return "CUDA_ERROR_NOT_INITIALIZED";
        case NO_DEVICE: return "CUDA_ERROR_NO_DEVICE";
        case INVALID_DEVICE: return "CUDA_ERROR_INVALID_DEVICE";
        case INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
        case INVALID_CONTEXT: return "CUDA_ERROR_INVALID_CONTEXT";
        case NO_BINARY_FOR_GPU: return "CUDA_ERROR_NO_BINARY_FOR_GPU";
        case INVALID_PTX: return "CUDA_ERROR_INVALID_PTX";
        case UNSUPPORTED_PTX_VERSION: return "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
        case INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
        case NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
        case LAUNCH_OUT_OF_RESOURCES: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
        case LAUNCH_FAILED: return "CUDA_ERROR_LAUNCH_FAILED";
        case NOT_SUPPORTED: return "CUDA_ERROR_NOT_SUPPORTED";
        default: return nullptr;
    }
}

const char* error_text(int r) {
    switch (r) {
        case OK: return "no error";
        case INVALID_VALUE: return "invalid argument";
        case OUT_OF_MEMORY: return "out of memory";
        case NOT_INITIALIZED: return "initialization error";
        case NO_DEVICE: return "no CUDA-capable device is detected";
        case INVALID_DEVICE: return "invalid device ordinal";
        case INVALID_IMAGE: return "device kernel image is invalid";
        case INVALID_CONTEXT: return "invalid device context";
        case NO_BINARY_FOR_GPU: return "no kernel image is available for execution on the device";
        case INVALID_PTX: return "a PTX JIT compilation failed";
        case UNSUPPORTED_PTX_VERSION: return "the provided PTX was compiled with an unsupported toolchain.";
        case INVALID_HANDLE: return "invalid resource handle";
        case NOT_FOUND: return "named symbol not found";
        case LAUNCH_OUT_OF_RESOURCES: return "too many resources requested for launch";
        case LAUNCH_FAILED: return "unspecified launch failure";
        case NOT_SUPPORTED: return "operation not supported";
        default: return nullptr;
    }
}

// Every failure says why on stderr (the driver's return codes alone are terse).
int fail(int code, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "[cuda-emu] %s: ", error_name(code));
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
    std::fflush(stderr);
    va_end(ap);
    return code;
}

// ------------------------------------------------------------------ state

struct Settings {
    int devices = 1;
    int driver_version = 13000;
    int sms = 4;
    long long memory = 8LL << 30;
    int cc = 90;
    std::string trace;  // a file to append one line per driver call to ("" = none)
    bool reverse = false;  // order=reverse: blocks and threads run last to first
};

struct Allocation {
    unsigned char* map;    // the whole mapping, guards included
    std::size_t map_bytes;
    CUdeviceptr address;   // what the caller got
    std::size_t bytes;
};

struct Stream {
    unsigned flags;  // 1: CU_STREAM_NON_BLOCKING
    std::deque<std::function<void()>> work;
};

struct Entry {
    std::vector<std::size_t> sizes;  // .param sizes
    unsigned maxntid = 0;            // 0: none declared
    bool barriers = false;           // the body has bar.sync
};

struct Module {
    std::map<std::string, Entry> entries;
};

struct Function {
    Module* module;
    const emu::Kernel* kernel;
    Entry entry;
    std::vector<std::size_t> offsets;  // of each argument in the packed bytes
    std::size_t packed_bytes;
};

struct Context {
    int device;
    int refs = 0;
};

std::recursive_mutex g_lock;
Settings g_settings;
bool g_initialized = false;
std::vector<std::unique_ptr<Context>> g_contexts;  // the primary context of each device, by ordinal
thread_local Context* t_current = nullptr;
std::map<CUdeviceptr, Allocation> g_allocations;  // by address
long long g_used = 0;
std::set<Stream*> g_streams;
Stream g_legacy{0, {}};  // the legacy default stream: its work runs at once (enqueue), it never queues
std::set<Module*> g_modules;
std::set<Function*> g_functions;
int g_sticky = OK;  // a failed kernel poisons the context, as on a GPU
std::FILE* g_trace = nullptr;

// One line per driver call when the settings name a trace file (tests count launches and syncs).
void trace(const char* fmt, ...) {
    if (g_trace == nullptr) return;
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(g_trace, fmt, ap);
    va_end(ap);
    std::fputc('\n', g_trace);
    std::fflush(g_trace);
}

const long kPage = sysconf(_SC_PAGESIZE);

void read_settings() {
    Settings s;
    const char* path = std::getenv("LA_CUDA_EMU_CONFIG");
    if (path != nullptr) {
        std::ifstream in(path);
        std::string line;
        while (std::getline(in, line)) {
            std::size_t eq = line.find('=');
            if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
            std::string k = line.substr(0, eq);
            long long v = std::atoll(line.c_str() + eq + 1);
            if (k == "devices") s.devices = (int) v;
            else if (k == "driver_version") s.driver_version = (int) v;
            else if (k == "sms") s.sms = (int) v;
            else if (k == "memory") s.memory = v;
            else if (k == "cc") s.cc = (int) v;
            else if (k == "trace") s.trace = line.substr(eq + 1);
            else if (k == "order") s.reverse = line.substr(eq + 1) == "reverse";
        }
    }
    g_settings = s;
}

int need_context() {
    if (!g_initialized) return fail(NOT_INITIALIZED, "cuInit was not called");
    if (t_current == nullptr || t_current->refs <= 0) return fail(INVALID_CONTEXT, "no current context on this thread");
    return OK;
}

// The allocation holding [address, address + bytes), or nullptr.
const Allocation* find(CUdeviceptr address, std::size_t bytes) {
    auto it = g_allocations.upper_bound(address);
    if (it == g_allocations.begin()) return nullptr;
    --it;
    const Allocation& a = it->second;
    if (address < a.address || address + bytes > a.address + a.bytes || address + bytes < address) return nullptr;
    return &a;
}

int check_range(const char* what, CUdeviceptr address, std::size_t bytes) {
    if (find(address, bytes) == nullptr) {
        return fail(INVALID_VALUE, "%s: device range [0x%llx, +%zu) is not inside one live allocation", what, address, bytes);
    }
    return OK;
}

// ------------------------------------------------------------------ streams

Stream* stream_of(void* handle, int* err) {
    *err = OK;
    std::uintptr_t h = (std::uintptr_t) handle;
    if (h == 0 || h == 1 || h == 2) return &g_legacy;  // NULL, CU_STREAM_LEGACY, CU_STREAM_PER_THREAD
    Stream* s = (Stream*) handle;
    if (g_streams.count(s) == 0) {
        *err = fail(INVALID_HANDLE, "not a live stream: %p", handle);
        return nullptr;
    }
    return s;
}

void drain(Stream* s) {
    while (!s->work.empty()) {
        std::function<void()> w = std::move(s->work.front());
        s->work.pop_front();
        w();
    }
}

// The legacy default stream waits for every blocking stream.
void drain_blocking() {
    for (Stream* s : g_streams) {
        if ((s->flags & 1u) == 0) drain(s);
    }
}

void drain_all() {
    for (Stream* s : g_streams) drain(s);
}

// Work on the legacy stream runs now, after the blocking streams' work; on another stream it queues.
void enqueue(Stream* s, std::function<void()> w) {
    if (s == &g_legacy) {
        drain_blocking();
        w();
    } else {
        s->work.push_back(std::move(w));
    }
}

// ------------------------------------------------------------------ kernels: threads and fibers

constexpr std::size_t kFiberStack = 64 * 1024;

struct Fiber {
    ucontext_t context;
    int state;  // 0 runnable, 1 waiting at a barrier, 2 done
};

ucontext_t g_scheduler;
std::vector<Fiber> g_fibers;
unsigned char* g_stacks = nullptr;
std::size_t g_stack_count = 0;
int g_running = -1;  // the fiber running now; -1: threads run directly (no barriers)
const std::function<void()>* g_body = nullptr;
const char* g_kernel_name = "";

void fiber_main() {
    (*g_body)();
    g_fibers[g_running].state = 2;
    // returning resumes uc_link, the scheduler
}

void set_thread(unsigned t) {
    emu::g_threadIdx = {t % emu::g_blockDim.x, (t / emu::g_blockDim.x) % emu::g_blockDim.y,
                        t / (emu::g_blockDim.x * emu::g_blockDim.y)};
}

// Runs one launch to its end; false (and a message) when a block's threads did not all reach a barrier.
bool run_grid(const Function* f, emu::Dim3 grid, emu::Dim3 block, const std::function<void()>& body) {
    const unsigned threads = block.x * block.y * block.z;
    emu::g_gridDim = grid;
    emu::g_blockDim = block;
    g_body = &body;
    g_kernel_name = f->kernel->name;
    // blocks and threads in order, or last to first (order=reverse): a kernel whose result depends on
    // the order its threads run in (a race, a missing barrier) gives another result one way or the other
    const unsigned long long blocks = (unsigned long long) grid.x * grid.y * grid.z;
    const bool rev = g_settings.reverse;
    auto set_block = [&](unsigned long long i) {
        const unsigned long long b = rev ? blocks - 1 - i : i;
        emu::g_blockIdx = {(unsigned) (b % grid.x), (unsigned) (b / grid.x % grid.y), (unsigned) (b / ((unsigned long long) grid.x * grid.y))};
    };
    if (!f->entry.barriers) {
        for (unsigned long long i = 0; i < blocks; i++) {
            set_block(i);
            for (unsigned k = 0; k < threads; k++) {
                set_thread(rev ? threads - 1 - k : k);
                body();
            }
        }
        return true;
    }
    if (g_stack_count < threads) {
        if (g_stacks != nullptr) munmap(g_stacks, g_stack_count * kFiberStack);
        void* m = mmap(nullptr, threads * kFiberStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            fail(OUT_OF_MEMORY, "no memory for %u fiber stacks", threads);
            std::abort();
        }
        g_stacks = (unsigned char*) m;
        g_stack_count = threads;
    }
    g_fibers.resize(threads);
    for (unsigned long long i = 0; i < blocks; i++) {
        set_block(i);
        for (unsigned t = 0; t < threads; t++) {
            Fiber& fb = g_fibers[t];
            getcontext(&fb.context);
            fb.context.uc_stack.ss_sp = g_stacks + t * kFiberStack;
            fb.context.uc_stack.ss_size = kFiberStack;
            fb.context.uc_link = &g_scheduler;
            makecontext(&fb.context, fiber_main, 0);
            fb.state = 0;
        }
        for (;;) {
            for (unsigned k = 0; k < threads; k++) {
                const unsigned t = rev ? threads - 1 - k : k;
                if (g_fibers[t].state != 0) continue;
                set_thread(t);
                g_running = (int) t;
                swapcontext(&g_scheduler, &g_fibers[t].context);
            }
            g_running = -1;
            unsigned done = 0, waiting = 0;
            for (unsigned t = 0; t < threads; t++) {
                if (g_fibers[t].state == 2) done++;
                else if (g_fibers[t].state == 1) waiting++;
            }
            if (done == threads) break;
            if (done > 0) {
                fail(LAUNCH_FAILED, "%s: block (%u,%u,%u): %u threads wait at __syncthreads() that %u finished "
                     "threads never reached (a barrier in divergent code)", f->kernel->name, emu::g_blockIdx.x,
                     emu::g_blockIdx.y, emu::g_blockIdx.z, waiting, done);
                return false;
            }
            for (unsigned t = 0; t < threads; t++) g_fibers[t].state = 0;  // all arrived: release the barrier
        }
    }
    return true;
}

// ------------------------------------------------------------------ PTX

// .param sizes, .maxntid and barriers of every .entry of a PTX text; false if it cannot be read.
bool parse_ptx(const std::string& ptx, Module* m, std::string* why) {
    std::size_t at = 0;
    while ((at = ptx.find(".entry ", at)) != std::string::npos) {
        std::size_t name_start = at + 7;
        std::size_t open = ptx.find('(', name_start);
        if (open == std::string::npos) {
            *why = "an .entry without a parameter list";
            return false;
        }
        std::string name = ptx.substr(name_start, open - name_start);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
        std::size_t close = ptx.find(')', open);
        std::size_t body = ptx.find('{', open);
        if (close == std::string::npos || body == std::string::npos || body < close) {
            *why = "entry " + name + ": no body";
            return false;
        }
        Entry e;
        std::string params = ptx.substr(open + 1, close - open - 1);
        std::size_t p = 0;
        while ((p = params.find(".param", p)) != std::string::npos) {
            std::size_t end = params.find(',', p);
            std::string decl = params.substr(p, end == std::string::npos ? std::string::npos : end - p);
            std::size_t size = 0;
            for (const char* t : {".u64", ".s64", ".b64", ".f64"}) if (decl.find(t) != std::string::npos) size = 8;
            for (const char* t : {".u32", ".s32", ".b32", ".f32"}) if (size == 0 && decl.find(t) != std::string::npos) size = 4;
            for (const char* t : {".u16", ".s16", ".b16", ".f16"}) if (size == 0 && decl.find(t) != std::string::npos) size = 2;
            for (const char* t : {".u8", ".s8", ".b8"}) if (size == 0 && decl.find(t) != std::string::npos) size = 1;
            std::size_t bracket = decl.find('[');
            if (bracket != std::string::npos) size *= (std::size_t) std::atoll(decl.c_str() + bracket + 1);
            if (size == 0) {
                *why = "entry " + name + ": cannot read parameter '" + decl + "'";
                return false;
            }
            e.sizes.push_back(size);
            p += 6;
        }
        std::string between = ptx.substr(close, body - close);
        std::size_t mt = between.find(".maxntid");
        if (mt != std::string::npos) {
            unsigned x = 1, y = 1, z = 1;
            std::sscanf(between.c_str() + mt + 8, " %u , %u , %u", &x, &y, &z);
            e.maxntid = x * y * z;
        }
        // the body: to the matching closing brace
        int depth = 0;
        std::size_t q = body;
        for (; q < ptx.size(); q++) {
            if (ptx[q] == '{') depth++;
            else if (ptx[q] == '}' && --depth == 0) break;
        }
        std::string text = ptx.substr(body, q - body);
        e.barriers = text.find("bar.sync") != std::string::npos || text.find("barrier.sync") != std::string::npos
                || text.find("bar.red") != std::string::npos || text.find("barrier.red") != std::string::npos;
        m->entries[name] = e;
        at = q;
    }
    return true;
}

// The CUDA version a PTX ISA version needs: 9.x -> 13.x, 8.x -> 12.x, 7.x -> 11.x.
int needed_driver(const std::string& ptx) {
    std::size_t v = ptx.find(".version ");
    if (v == std::string::npos) return 0;
    int major = 0, minor = 0;
    std::sscanf(ptx.c_str() + v + 9, "%d.%d", &major, &minor);
    return (major + 4) * 1000 + minor * 10;
}

void destroy_everything() {
    drain_all();
    for (Function* f : g_functions) delete f;
    g_functions.clear();
    for (Module* m : g_modules) delete m;
    g_modules.clear();
    for (Stream* s : g_streams) delete s;
    g_streams.clear();
    for (auto& kv : g_allocations) munmap(kv.second.map, kv.second.map_bytes);
    g_allocations.clear();
    g_used = 0;
    g_sticky = OK;
}

}  // namespace

namespace emu {
Dim3 g_threadIdx, g_blockIdx, g_blockDim, g_gridDim;

void barrier() {
    if (g_running < 0) {
        fail(LAUNCH_FAILED, "%s called __syncthreads(), but its PTX has no barrier: cuda-emu ran it without fibers", g_kernel_name);
        std::abort();
    }
    g_fibers[g_running].state = 1;
    swapcontext(&g_fibers[g_running].context, &g_scheduler);
}
}  // namespace emu

// ------------------------------------------------------------------ the driver API

#define EMU_API extern "C" __attribute__((visibility("default")))
#define LOCK std::lock_guard<std::recursive_mutex> guard(g_lock)
#define NEED_CONTEXT \
    do { int e_ = need_context(); if (e_ != OK) return e_; } while (0)

EMU_API CUresult cuInit(unsigned flags) {
    LOCK;
    if (flags != 0) return fail(INVALID_VALUE, "cuInit flags must be 0");
    read_settings();
    if (g_trace != nullptr) std::fclose(g_trace);
    g_trace = g_settings.trace.empty() ? nullptr : std::fopen(g_settings.trace.c_str(), "a");
    trace("cuInit");
    if (g_settings.devices <= 0) return fail(NO_DEVICE, "configured with no device");
    while ((int) g_contexts.size() < g_settings.devices) {
        g_contexts.push_back(std::make_unique<Context>());
        g_contexts.back()->device = (int) g_contexts.size() - 1;
    }
    g_initialized = true;
    return OK;
}

EMU_API CUresult cuDriverGetVersion(int* v) {
    LOCK;
    if (v == nullptr) return INVALID_VALUE;
    if (!g_initialized) read_settings();
    *v = g_settings.driver_version;
    return OK;
}

EMU_API CUresult cuGetErrorName(CUresult r, const char** s) {
    if (s == nullptr) return INVALID_VALUE;
    *s = error_name(r);
    return *s == nullptr ? INVALID_VALUE : OK;
}

EMU_API CUresult cuGetErrorString(CUresult r, const char** s) {
    if (s == nullptr) return INVALID_VALUE;
    *s = error_text(r);
    return *s == nullptr ? INVALID_VALUE : OK;
}

EMU_API CUresult cuDeviceGetCount(int* n) {
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (n == nullptr) return INVALID_VALUE;
    *n = g_settings.devices;
    return OK;
}

EMU_API CUresult cuDeviceGet(CUdevice* d, int ordinal) {
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (d == nullptr) return INVALID_VALUE;
    if (ordinal < 0 || ordinal >= g_settings.devices) return fail(INVALID_DEVICE, "device %d of %d", ordinal, g_settings.devices);
    *d = ordinal;
    return OK;
}

EMU_API CUresult cuDeviceGetName(char* name, int len, CUdevice d) {
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (name == nullptr || len <= 0) return INVALID_VALUE;
    if (d < 0 || d >= g_settings.devices) return INVALID_DEVICE;
    std::snprintf(name, (std::size_t) len, "cuda-emu (kernels on the host CPU)");
    return OK;
}

EMU_API CUresult cuDeviceGetAttribute(int* v, int attribute, CUdevice d) {
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (v == nullptr) return INVALID_VALUE;
    if (d < 0 || d >= g_settings.devices) return INVALID_DEVICE;
    switch (attribute) {
        case 1: *v = 1024; return OK;                      // MAX_THREADS_PER_BLOCK
        case 16: *v = g_settings.sms; return OK;           // MULTIPROCESSOR_COUNT
        case 75: *v = g_settings.cc / 10; return OK;       // COMPUTE_CAPABILITY_MAJOR
        case 76: *v = g_settings.cc % 10; return OK;       // COMPUTE_CAPABILITY_MINOR
        case 39: *v = 2048; return OK;                     // MAX_THREADS_PER_MULTIPROCESSOR
        default: return fail(INVALID_VALUE, "device attribute %d is not emulated", attribute);
    }
}

EMU_API CUresult cuDevicePrimaryCtxRetain(Context** ctx, CUdevice d) {
    LOCK;
    trace("cuDevicePrimaryCtxRetain device=%d", d);
    if (!g_initialized) return NOT_INITIALIZED;
    if (ctx == nullptr) return INVALID_VALUE;
    if (d < 0 || d >= (int) g_contexts.size()) return INVALID_DEVICE;
    Context* c = g_contexts[d].get();
    c->refs++;
    *ctx = c;
    return OK;
}

EMU_API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) {
    LOCK;
    trace("cuDevicePrimaryCtxRelease device=%d", d);
    if (!g_initialized) return NOT_INITIALIZED;
    if (d < 0 || d >= (int) g_contexts.size()) return INVALID_DEVICE;
    Context* c = g_contexts[d].get();
    if (c->refs <= 0) return fail(INVALID_CONTEXT, "primary context of device %d released more often than retained", d);
    if (--c->refs == 0) {
        if (!g_allocations.empty()) {
            std::fprintf(stderr, "[cuda-emu] the primary context is destroyed with %zu allocations (%lld bytes) still live\n",
                         g_allocations.size(), g_used);
        }
        destroy_everything();
    }
    return OK;
}

EMU_API CUresult cuDevicePrimaryCtxGetState(CUdevice d, unsigned* flags, int* active) {
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (flags == nullptr || active == nullptr) return INVALID_VALUE;
    if (d < 0 || d >= (int) g_contexts.size()) return INVALID_DEVICE;
    *flags = 0;
    *active = g_contexts[d]->refs > 0 ? 1 : 0;
    return OK;
}

EMU_API CUresult cuCtxSetCurrent(Context* ctx) {
    LOCK;
    trace("cuCtxSetCurrent");
    if (!g_initialized) return NOT_INITIALIZED;
    if (ctx != nullptr) {
        bool known = false;
        for (auto& c : g_contexts) known |= c.get() == ctx;
        if (!known) return fail(INVALID_CONTEXT, "not a context: %p", (void*) ctx);
    }
    t_current = ctx;
    return OK;
}

EMU_API CUresult cuCtxGetCurrent(Context** ctx) {
    LOCK;
    if (ctx == nullptr) return INVALID_VALUE;
    *ctx = t_current;
    return OK;
}

EMU_API CUresult cuCtxSynchronize() {
    LOCK;
    trace("cuCtxSynchronize");
    NEED_CONTEXT;
    drain_all();
    return g_sticky;
}

EMU_API CUresult cuMemGetInfo_v2(std::size_t* free_bytes, std::size_t* total) {
    LOCK;
    trace("cuMemGetInfo");
    NEED_CONTEXT;
    if (free_bytes == nullptr || total == nullptr) return INVALID_VALUE;
    *total = (std::size_t) g_settings.memory;
    *free_bytes = (std::size_t) (g_settings.memory - g_used);
    return OK;
}

EMU_API CUresult cuMemAlloc_v2(CUdeviceptr* p, std::size_t bytes) {
    LOCK;
    trace("cuMemAlloc bytes=%zu", bytes);
    NEED_CONTEXT;
    if (p == nullptr || bytes == 0) return fail(INVALID_VALUE, "cuMemAlloc of %zu bytes", bytes);
    if (g_sticky != OK) return g_sticky;
    const std::size_t rounded = (bytes + 255) & ~(std::size_t) 255;
    if (rounded > (std::size_t) (g_settings.memory - g_used)) {
        return fail(OUT_OF_MEMORY, "cuMemAlloc of %zu bytes, %lld free", bytes, g_settings.memory - g_used);
    }
    const std::size_t span = (rounded + kPage - 1) / kPage * kPage;
    const std::size_t map_bytes = span + 2 * kPage;
    void* m = mmap(nullptr, map_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return fail(OUT_OF_MEMORY, "mmap of %zu bytes failed", map_bytes);
    unsigned char* base = (unsigned char*) m;
    if (mprotect(base + kPage, span, PROT_READ | PROT_WRITE) != 0) {
        munmap(m, map_bytes);
        return fail(OUT_OF_MEMORY, "mprotect failed");
    }
    unsigned char* start = base + kPage + (span - rounded);
    std::memset(start, 0xff, rounded);  // not zeroed, as on a GPU: NaN floats
    Allocation a{base, map_bytes, (CUdeviceptr) start, bytes};
    g_allocations[a.address] = a;
    g_used += (long long) rounded;
    *p = a.address;
    return OK;
}

EMU_API CUresult cuMemFree_v2(CUdeviceptr p) {
    LOCK;
    trace("cuMemFree");
    NEED_CONTEXT;
    auto it = g_allocations.find(p);
    if (it == g_allocations.end()) return fail(INVALID_VALUE, "cuMemFree(0x%llx): not the start of a live allocation", p);
    drain_all();  // cuMemFree waits for the device
    munmap(it->second.map, it->second.map_bytes);
    g_used -= (long long) ((it->second.bytes + 255) & ~(std::size_t) 255);
    g_allocations.erase(it);
    return OK;
}

EMU_API CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, std::size_t bytes) {
    LOCK;
    trace("cuMemcpyHtoD bytes=%zu", bytes);
    NEED_CONTEXT;
    if (bytes == 0) return OK;
    if (src == nullptr) return INVALID_VALUE;
    int e = check_range("cuMemcpyHtoD", dst, bytes);
    if (e != OK) return e;
    drain_blocking();
    std::memcpy((void*) dst, src, bytes);
    return g_sticky;
}

EMU_API CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, std::size_t bytes) {
    LOCK;
    trace("cuMemcpyDtoH bytes=%zu", bytes);
    NEED_CONTEXT;
    if (bytes == 0) return OK;
    if (dst == nullptr) return INVALID_VALUE;
    int e = check_range("cuMemcpyDtoH", src, bytes);
    if (e != OK) return e;
    drain_blocking();
    std::memcpy(dst, (const void*) src, bytes);
    return g_sticky;
}

EMU_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, std::size_t bytes, void* stream) {
    LOCK;
    trace("cuMemcpyDtoDAsync bytes=%zu stream=%p", bytes, stream);
    NEED_CONTEXT;
    int e;
    Stream* s = stream_of(stream, &e);
    if (s == nullptr) return e;
    if (bytes == 0) return OK;
    if ((e = check_range("cuMemcpyDtoDAsync (destination)", dst, bytes)) != OK) return e;
    if ((e = check_range("cuMemcpyDtoDAsync (source)", src, bytes)) != OK) return e;
    enqueue(s, [dst, src, bytes]() { std::memmove((void*) dst, (const void*) src, bytes); });
    return OK;
}

EMU_API CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned value, std::size_t n, void* stream) {
    LOCK;
    trace("cuMemsetD32Async count=%zu stream=%p", n, stream);
    NEED_CONTEXT;
    int e;
    Stream* s = stream_of(stream, &e);
    if (s == nullptr) return e;
    if (n == 0) return OK;
    if (dst % 4 != 0) return fail(INVALID_VALUE, "cuMemsetD32Async: address 0x%llx is not 4-byte aligned", dst);
    if ((e = check_range("cuMemsetD32Async", dst, n * 4)) != OK) return e;
    enqueue(s, [dst, value, n]() {
        unsigned* d = (unsigned*) dst;
        for (std::size_t i = 0; i < n; i++) d[i] = value;
    });
    return OK;
}

EMU_API CUresult cuStreamCreate(Stream** stream, unsigned flags) {
    LOCK;
    trace("cuStreamCreate flags=%u", flags);
    NEED_CONTEXT;
    if (stream == nullptr || flags > 1) return fail(INVALID_VALUE, "cuStreamCreate flags %u", flags);
    Stream* s = new Stream{flags, {}};
    g_streams.insert(s);
    *stream = s;
    return OK;
}

EMU_API CUresult cuStreamDestroy_v2(void* stream) {
    LOCK;
    trace("cuStreamDestroy stream=%p", stream);
    NEED_CONTEXT;
    Stream* s = (Stream*) stream;
    if (g_streams.count(s) == 0) return fail(INVALID_HANDLE, "cuStreamDestroy: not a live stream: %p", stream);
    drain(s);  // its work still completes
    g_streams.erase(s);
    delete s;
    return OK;
}

EMU_API CUresult cuStreamSynchronize(void* stream) {
    LOCK;
    trace("cuStreamSynchronize stream=%p", stream);
    NEED_CONTEXT;
    int e;
    Stream* s = stream_of(stream, &e);
    if (s == nullptr) return e;
    if (s == &g_legacy) drain_blocking();
    drain(s);
    return g_sticky;
}

EMU_API CUresult cuModuleLoadData(Module** module, const void* image) {
    LOCK;
    trace("cuModuleLoadData");
    NEED_CONTEXT;
    if (module == nullptr || image == nullptr) return INVALID_VALUE;
    std::string ptx((const char*) image);
    if (ptx.find(".version") == std::string::npos || ptx.find(".target") == std::string::npos) {
        return fail(INVALID_IMAGE, "the image is not PTX text (cuda-emu reads only PTX)");
    }
    int needed = needed_driver(ptx);
    if (needed > g_settings.driver_version) {
        return fail(UNSUPPORTED_PTX_VERSION, "the PTX needs a CUDA %d.%d driver, this one is %d.%d", needed / 1000,
                    needed % 1000 / 10, g_settings.driver_version / 1000, g_settings.driver_version % 1000 / 10);
    }
    std::size_t t = ptx.find(".target sm_");
    int target = t == std::string::npos ? 0 : std::atoi(ptx.c_str() + t + 11);
    if (target > g_settings.cc) return fail(NO_BINARY_FOR_GPU, "PTX for sm_%d, device is sm_%d", target, g_settings.cc);
    auto m = std::make_unique<Module>();
    std::string why;
    if (!parse_ptx(ptx, m.get(), &why)) return fail(INVALID_PTX, "%s", why.c_str());
    *module = m.get();
    g_modules.insert(m.release());
    return OK;
}

EMU_API CUresult cuModuleUnload(Module* module) {
    LOCK;
    trace("cuModuleUnload");
    NEED_CONTEXT;
    if (g_modules.count(module) == 0) return fail(INVALID_HANDLE, "cuModuleUnload: not a loaded module");
    for (auto it = g_functions.begin(); it != g_functions.end();) {
        if ((*it)->module == module) {
            delete *it;
            it = g_functions.erase(it);
        } else {
            ++it;
        }
    }
    g_modules.erase(module);
    delete module;
    return OK;
}

EMU_API CUresult cuModuleGetFunction(Function** f, Module* module, const char* name) {
    LOCK;
    trace("cuModuleGetFunction %s", name == nullptr ? "(null)" : name);
    NEED_CONTEXT;
    if (f == nullptr || name == nullptr) return INVALID_VALUE;
    if (g_modules.count(module) == 0) return fail(INVALID_HANDLE, "cuModuleGetFunction(%s): not a loaded module", name);
    auto e = module->entries.find(name);
    if (e == module->entries.end()) return fail(NOT_FOUND, "%s is not an .entry of the module's PTX", name);
    const emu::Kernel* k = nullptr;
    for (const emu::Kernel* x = emu::kernels; x->name != nullptr; x++) {
        if (std::strcmp(x->name, name) == 0) k = x;
    }
    if (k == nullptr) return fail(NOT_SUPPORTED, "%s is in the PTX but cuda-emu has no host build of it (native/emu/emu_kernels.cpp)", name);
    const Entry& entry = e->second;
    if ((int) entry.sizes.size() != k->params) {
        return fail(INVALID_IMAGE, "%s: the PTX has %zu parameters, the host build %d", name, entry.sizes.size(), k->params);
    }
    auto fn = std::make_unique<Function>();
    fn->module = module;
    fn->kernel = k;
    fn->entry = entry;
    std::size_t off = 0;
    for (int i = 0; i < k->params; i++) {
        if (entry.sizes[i] != k->sizes[i]) {
            return fail(INVALID_IMAGE, "%s parameter %d: %zu bytes in the PTX, %zu in the host build", name, i, entry.sizes[i], k->sizes[i]);
        }
        fn->offsets.push_back(off);
        off += k->sizes[i];
    }
    fn->packed_bytes = off;
    *f = fn.get();
    g_functions.insert(fn.release());
    return OK;
}

EMU_API CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, Function* f, int block_size, std::size_t smem) {
    LOCK;
    trace("cuOccupancyMaxActiveBlocksPerMultiprocessor");
    NEED_CONTEXT;
    if (blocks == nullptr || block_size <= 0) return INVALID_VALUE;
    if (g_functions.count(f) == 0) return fail(INVALID_HANDLE, "cuOccupancyMaxActiveBlocksPerMultiprocessor: not a function");
    (void) smem;
    *blocks = 2048 / block_size;
    return OK;
}

EMU_API CUresult cuLaunchKernel(Function* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                unsigned smem, void* stream, void** params, void** extra) {
    LOCK;
    trace("cuLaunchKernel %s grid=%u block=%u stream=%p", g_functions.count(f) ? f->kernel->name : "(invalid)", gx, bx, stream);
    NEED_CONTEXT;
    if (g_functions.count(f) == 0) return fail(INVALID_HANDLE, "cuLaunchKernel: not a function of a loaded module");
    if (g_sticky != OK) return g_sticky;
    const char* name = f->kernel->name;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0 || gx > 0x7fffffffu || gy > 65535 || gz > 65535) {
        return fail(INVALID_VALUE, "%s: grid (%u,%u,%u) block (%u,%u,%u)", name, gx, gy, gz, bx, by, bz);
    }
    const unsigned long long threads = (unsigned long long) bx * by * bz;
    if (threads > 1024 || (f->entry.maxntid != 0 && threads > f->entry.maxntid)) {
        return fail(INVALID_VALUE, "%s: %llu threads per block, its .maxntid allows %u", name, threads, f->entry.maxntid);
    }
    if (smem != 0) return fail(INVALID_VALUE, "%s: dynamic shared memory is not emulated", name);
    if (extra != nullptr) return fail(NOT_SUPPORTED, "%s: 'extra' launch arguments are not emulated", name);
    if (f->kernel->params > 0 && params == nullptr) return fail(INVALID_VALUE, "%s: no kernelParams", name);
    int e;
    Stream* s = stream_of(stream, &e);
    if (s == nullptr) return e;
    // the arguments are copied now, as the driver does
    std::vector<unsigned char> packed(f->packed_bytes);
    for (int i = 0; i < f->kernel->params; i++) {
        if (params[i] == nullptr) return fail(INVALID_VALUE, "%s: kernelParams[%d] is NULL", name, i);
        std::memcpy(packed.data() + f->offsets[i], params[i], f->kernel->sizes[i]);
    }
    std::function<void()> body = f->kernel->bind(packed.data(), f->offsets.data());
    const Function fcopy = *f;
    const emu::Dim3 grid{gx, gy, gz}, block{bx, by, bz};
    enqueue(s, [fcopy, grid, block, body]() {
        if (g_sticky != OK) return;
        if (!run_grid(&fcopy, grid, block, body)) g_sticky = LAUNCH_FAILED;
    });
    return OK;
}
