/* gr_thread_win.cpp - gr_thread.h on Windows threads: _beginthreadex (so
 * the C library's per-thread state is set up) with an explicit stack
 * size, started suspended so the CPU pin (SetThreadAffinityMask) is in
 * place before the thread runs, the name from SetThreadDescription
 * (Windows 10 1607; looked up at run time, skipped where missing), join. */
#include "gr_win.h"

#include <errno.h>
#include <process.h>
#include <stdlib.h>

#include <atomic>

#include "gr_log.h"
#include "gr_thread.h"
#include "gr_thread_boot.h"

typedef HRESULT(WINAPI *set_description_fn)(HANDLE, PCWSTR);

/* SetThreadDescription where kernel32 has it, else NULL. */
static set_description_fn set_description(void)
{
    static std::atomic<int> looked{0};
    static std::atomic<set_description_fn> fn{NULL};
    if (looked.load(std::memory_order_acquire) == 0) {
        HMODULE k32 = GetModuleHandleW(L"kernel32.dll");
        set_description_fn f = k32 ? (set_description_fn)(void *)GetProcAddress(k32, "SetThreadDescription") : NULL;
        fn.store(f, std::memory_order_relaxed);
        looked.store(1, std::memory_order_release);
    }
    return fn.load(std::memory_order_relaxed);
}

/* Skipped (0) where kernel32 has no SetThreadDescription: the name is for
 * debuggers only. */
int gr__thread_set_name(const char *name)
{
    set_description_fn f = set_description();
    if (f == NULL)
        return 0;
    wchar_t w[16];
    int rc = gr_win_utf16(name, w, sizeof w / sizeof w[0]);
    if (rc != 0)
        return -rc;
    return SUCCEEDED(f(GetCurrentThread(), w)) ? 0 : EINVAL;
}

/* _beginthreadex's entry: the boot every system runs (gr_thread_boot.cpp). */
static unsigned __stdcall thread_boot(void *boot)
{
    gr__thread_boot_run(boot);
    return 0;
}

/* The process's CPUs as a mask (one processor group: up to 64). */
static DWORD_PTR process_cpus(void)
{
    DWORD_PTR proc = 0, sys = 0;
    if (!GetProcessAffinityMask(GetCurrentProcess(), &proc, &sys) || proc == 0)
        return 0;
    return proc;
}

static int popcount(DWORD_PTR m)
{
    int n = 0;
    for (; m; m &= m - 1)
        n++;
    return n;
}

int gr_thread_start(gr_thread_t *t, gr_thread_fn fn, void *arg, int cpu, const char *name, size_t stack_bytes)
{
    if (t == NULL || fn == NULL)
        return -EINVAL;
    t->started = 0;
    gr_thread_boot_t *boot = gr__thread_boot_new(fn, arg, name);
    if (boot == NULL)
        return -ENOMEM;
    if (stack_bytes > 0xffffffffu)
        stack_bytes = 0xffffffffu;
    /* STACK_SIZE_PARAM_IS_A_RESERVATION: stack_bytes is the reserve (the
     * most the stack may grow to), like a pthread stack size; without it
     * the size would be committed memory up front. */
    unsigned id;
    uintptr_t h = _beginthreadex(NULL, (unsigned)stack_bytes, thread_boot, boot,
                                 CREATE_SUSPENDED | STACK_SIZE_PARAM_IS_A_RESERVATION, &id);
    if (h == 0) {
        int e = errno;
        free(boot);
        return -(e ? e : EAGAIN);
    }
    if (cpu >= 0) {
        DWORD_PTR allowed = process_cpus();
        int count = popcount(allowed);
        int want = count > 0 ? cpu % count : -1;
        DWORD_PTR one = 0;
        for (int i = 0; want >= 0 && i < (int)(8 * sizeof allowed); i++)
            if ((allowed >> i & 1) && want-- == 0)
                one = (DWORD_PTR)1 << i;
        if (one == 0 || SetThreadAffinityMask((HANDLE)h, one) == 0) {
            char msg[256];
            GR_WARN("thread %s: cannot pin to cpu %d: %s; running unpinned", name ? name : "?", cpu,
                    gr_win_message(GetLastError(), msg, sizeof msg));
        }
    }
    ResumeThread((HANDLE)h);
    t->handle = h;
    t->started = 1;
    return 0;
}

void gr_thread_join(gr_thread_t *t)
{
    if (t == NULL || !t->started)
        return;
    WaitForSingleObject((HANDLE)t->handle, INFINITE);
    CloseHandle((HANDLE)t->handle);
    t->started = 0;
}

int gr_cpu_count(void)
{
    int n = popcount(process_cpus());
    if (n > 0)
        return n;
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwNumberOfProcessors > 0 ? (int)si.dwNumberOfProcessors : 1;
}
