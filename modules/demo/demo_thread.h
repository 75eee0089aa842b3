/* demo_thread.h - the demo's one platform-dependent spot: a detached
 * thread of the module's own, a sleep, and a counter of those threads
 * still running, for GET /later (demo.c). grocket offers no threads to
 * modules on purpose: /later shows a reply completed from a thread that is
 * not grocket's. */
#ifndef DEMO_THREAD_H
#define DEMO_THREAD_H

typedef void (*demo_thread_fn)(void *arg);

#ifdef _WIN32
#include <windows.h>

typedef struct demo_thread_start_t {
    demo_thread_fn fn;
    void *arg;
} demo_thread_start_t;

static DWORD WINAPI demo_thread_main(LPVOID p)
{
    demo_thread_start_t s = *(demo_thread_start_t *)p;
    HeapFree(GetProcessHeap(), 0, p);
    s.fn(s.arg);
    return 0;
}

/* 0, or -1 when no thread could start. */
static int demo_thread_start(demo_thread_fn fn, void *arg)
{
    demo_thread_start_t *s = (demo_thread_start_t *)HeapAlloc(GetProcessHeap(), 0, sizeof *s);
    if (!s)
        return -1;
    s->fn = fn;
    s->arg = arg;
    HANDLE h = CreateThread(NULL, 64 * 1024, demo_thread_main, s, 0, NULL);
    if (!h) {
        HeapFree(GetProcessHeap(), 0, s);
        return -1;
    }
    CloseHandle(h); /* detached */
    return 0;
}

static void demo_sleep_ms(unsigned ms) { Sleep(ms); }

#else
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

typedef struct demo_thread_start_t {
    demo_thread_fn fn;
    void *arg;
} demo_thread_start_t;

static void *demo_thread_main(void *p)
{
    demo_thread_start_t s = *(demo_thread_start_t *)p;
    free(p);
    s.fn(s.arg);
    return NULL;
}

static int demo_thread_start(demo_thread_fn fn, void *arg)
{
    demo_thread_start_t *s = (demo_thread_start_t *)malloc(sizeof *s);
    pthread_attr_t attr;
    pthread_t t;
    if (!s)
        return -1;
    s->fn = fn;
    s->arg = arg;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    int rc = pthread_create(&t, &attr, demo_thread_main, s);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(s);
        return -1;
    }
    return 0;
}

static void demo_sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}
#endif

#endif
