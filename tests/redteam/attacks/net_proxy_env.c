/*
 * net_proxy_env: proxy variables in the host's environment.
 *
 * The harness runs boxagent with http_proxy, HTTP_PROXY, https_proxy and
 * ALL_PROXY pointing at a live server B. Grant:
 * network:http://127.0.0.1:DEAD (nothing listens there). If libcurl took
 * the proxy from the environment, the request would reach B and come back
 * with a response.
 * Proves: proxies are off whatever the environment says.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	char url[256];
	http_result res;
	int32_t st;

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/text", input_need("port_dead"));
	st = http("GET", url, NULL, NULL, 0, &res);
	if (st == BA_OK)
		escaped("a request to the dead port got HTTP %d - through the proxy: %s", res.http,
		        first_line(res.body));
	blocked("no proxy was used: %s (%s)", ba_status_name(st), res.error);
}
