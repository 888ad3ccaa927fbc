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
	/* The multi interface, optional (NULL when this libcurl lacks
	 * curl_multi_poll, added in 7.66): with it a transfer can wait in
	 * short slices and notice a cancel at once even while the server
	 * says nothing, which easy_perform only checks about once a second. */
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *multi, CURL *handle);
	CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *handle);
	CURLMcode (*multi_perform)(CURLM *multi, int *running);
	CURLMcode (*multi_poll)(CURLM *multi, struct curl_waitfd extra[], unsigned extra_count,
	                        int timeout_ms, int *ready);
	CURLMsg *(*multi_info_read)(CURLM *multi, int *left);
	CURLMcode (*multi_cleanup)(CURLM *multi);
} ba_curl_api;

/* The loaded API, or NULL with *error set to why libcurl is unusable
 * (not installed, too old). Thread-safe; the first call loads it. */
const ba_curl_api *ba_curl(const char **error);

#endif /* BA_CORE_CURL_LIB_H */
