/*
 * curl_lib.h - libcurl, loaded with dlopen() on first use.
 *
 * Most boxagent processes (a tool run without network) never need
 * libcurl, and linking it costs every process ~6 ms of start-up for its
 * 38 libraries. So it is loaded the first time someone asks, once per
 * process, and stays loaded. <curl/curl.h> is used for types and
 * constants only; every call goes through these pointers.
 */
#ifndef BA_CORE_CURL_LIB_H
#define BA_CORE_CURL_LIB_H

#include <curl/curl.h>

typedef struct ba_curl_api {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *handle);
	CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *handle);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
	void (*slist_free_all)(struct curl_slist *list);
} ba_curl_api;

/* The loaded API, or NULL with *error set to why libcurl is unusable
 * (not installed, too old). Thread-safe; the first call loads it. */
const ba_curl_api *ba_curl(const char **error);

#endif /* BA_CORE_CURL_LIB_H */
