/*
 * curl_lib.c - loading libcurl on demand (curl_lib.h says why).
 */
#include "core/curl_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static ba_curl_api curl_fn;
static char curl_load_error[512]; /* "" when loaded */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_load(void)
{
	void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	CURLcode (*global_init)(long flags);
	const char *missing = NULL;

	if (!lib) {
		const char *e = dlerror();
		snprintf(curl_load_error, sizeof(curl_load_error),
		         "network requests need libcurl (libcurl.so.4, Debian package libcurl4), "
		         "which could not be loaded: %s",
		         e ? e : "unknown error");
		return;
	}
#define LOAD(field, symbol)                                      \
	do {                                                     \
		void *sym_ = dlsym(lib, symbol);                 \
		if (!sym_ && !missing)                           \
			missing = symbol;                        \
		curl_fn.field = (__typeof__(curl_fn.field))sym_; \
	} while (0)
	LOAD(easy_init, "curl_easy_init");
	LOAD(easy_setopt, "curl_easy_setopt");
	LOAD(easy_perform, "curl_easy_perform");
	LOAD(easy_getinfo, "curl_easy_getinfo");
	LOAD(easy_cleanup, "curl_easy_cleanup");
	LOAD(easy_strerror, "curl_easy_strerror");
	LOAD(slist_append, "curl_slist_append");
	LOAD(slist_free_all, "curl_slist_free_all");
	/* Optional: all or none of the multi functions. */
	const char *required = missing;
	LOAD(multi_init, "curl_multi_init");
	LOAD(multi_add_handle, "curl_multi_add_handle");
	LOAD(multi_remove_handle, "curl_multi_remove_handle");
	LOAD(multi_perform, "curl_multi_perform");
	LOAD(multi_poll, "curl_multi_poll");
	LOAD(multi_info_read, "curl_multi_info_read");
	LOAD(multi_cleanup, "curl_multi_cleanup");
	if (missing != required) {
		missing = required;
		curl_fn.multi_init = NULL;
	}
#undef LOAD
	global_init = (__typeof__(global_init))dlsym(lib, "curl_global_init");
	if (!global_init && !missing)
		missing = "curl_global_init";
	if (missing) {
		snprintf(curl_load_error, sizeof(curl_load_error),
		         "libcurl.so.4 lacks %s; it is too old or not libcurl", missing);
		return;
	}
	/* Not thread-safe in older libcurl, hence pthread_once. */
	if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		snprintf(curl_load_error, sizeof(curl_load_error), "curl_global_init failed");
}

const ba_curl_api *ba_curl(const char **error)
{
	pthread_once(&curl_once, curl_load);
	if (curl_load_error[0]) {
		if (error)
			*error = curl_load_error;
		return NULL;
	}
	return &curl_fn;
}
