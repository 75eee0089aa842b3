/* gr_array.h - growing an array, once for every array the framework grows:
 * the capacity doubles from a first size, and the resize checks the size
 * for overflow and leaves the array as it was when memory runs out. */
#ifndef GR_ARRAY_H
#define GR_ARRAY_H

#include <stdint.h>
#include <stdlib.h>

/* The capacity that holds need: cap doubled as often as needed (first
 * when cap is 0). */
static inline size_t gr_array_cap(size_t cap, size_t need, size_t first)
{
    size_t c = cap ? cap : first;
    while (c < need)
        c *= 2;
    return c;
}

/* *arr resized to n elements; false, with *arr unchanged, when out of
 * memory or when n elements do not fit in a size_t. */
template <typename T>
static inline bool gr_array_resize(T **arr, size_t n)
{
    if (n > SIZE_MAX / sizeof(T))
        return false;
    T *p = (T *)realloc((void *)*arr, n * sizeof(T));
    if (!p)
        return false;
    *arr = p;
    return true;
}

/* Room for need elements in *arr, whose capacity is *cap. */
template <typename T, typename C>
static inline bool gr_array_reserve(T **arr, C *cap, size_t need, size_t first)
{
    if (need <= (size_t)*cap)
        return true;
    size_t c = gr_array_cap((size_t)*cap, need, first);
    if (!gr_array_resize(arr, c))
        return false;
    *cap = (C)c;
    return true;
}

/* The same for two arrays that share one capacity (lengths and offsets of
 * one batch). */
template <typename T, typename U, typename C>
static inline bool gr_array_reserve2(T **a, U **b, C *cap, size_t need, size_t first)
{
    if (need <= (size_t)*cap)
        return true;
    size_t c = gr_array_cap((size_t)*cap, need, first);
    if (!gr_array_resize(a, c) || !gr_array_resize(b, c))
        return false; /* a may have grown: harmless, cap stays the smaller */
    *cap = (C)c;
    return true;
}

#endif
