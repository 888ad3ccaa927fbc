/*
 * banned.h - functions this code base does not use, made compile errors.
 *
 * The Makefile force-includes this header into every C file (-include), so
 * it first pulls in the standard headers that declare the banned names
 * (their include guards then make later #includes no-ops) and only then
 * redefines the names.
 *
 * Why each is banned, and what to use instead:
 *   strcpy, strcat, strncpy, strncat  unbounded or silently truncating:
 *                                     memcpy with a checked length, or
 *                                     snprintf and check its result
 *   sprintf, vsprintf                 unbounded: snprintf / vsnprintf
 *   strtok                            hidden global state: strtok_r or
 *                                     explicit scanning
 *   gets                              unbounded by design: fgets
 *   atoi, atol, atoll                 no error reporting: strtol & co.
 *   asctime, ctime, gmtime, localtime shared static buffers: the _r forms
 */
#ifndef BA_CORE_BANNED_H
#define BA_CORE_BANNED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BA_BANNED(func) sorry_##func##_is_banned_see_src_core_banned_h

#undef strcpy
#define strcpy(x, y) BA_BANNED(strcpy)
#undef strcat
#define strcat(x, y) BA_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BA_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BA_BANNED(strncat)
#undef sprintf
#define sprintf(...) BA_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BA_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BA_BANNED(strtok)
#undef gets
#define gets(x) BA_BANNED(gets)
#undef atoi
#define atoi(x) BA_BANNED(atoi)
#undef atol
#define atol(x) BA_BANNED(atol)
#undef atoll
#define atoll(x) BA_BANNED(atoll)
#undef asctime
#define asctime(x) BA_BANNED(asctime)
#undef ctime
#define ctime(x) BA_BANNED(ctime)
#undef gmtime
#define gmtime(x) BA_BANNED(gmtime)
#undef localtime
#define localtime(x) BA_BANNED(localtime)

#endif /* BA_CORE_BANNED_H */
