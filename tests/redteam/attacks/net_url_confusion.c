/*
 * net_url_confusion: URLs that our parser and libcurl might read
 * differently.
 *
 * Grant: network:http://127.0.0.1:DEAD, a port with no server behind it.
 * Each URL is crafted so that a lenient reader sees 127.0.0.1:DEAD (the
 * grant) and another sees 127.0.0.1:B (a live server): userinfo, a
 * backslash, '#' and '?' before '@', a tab, an overlong port. Since
 * nothing listens on DEAD, any response at all came from somewhere that
 * was not granted.
 * Proves: the URL that is checked is the URL that is sent.
 */
#include <stdio.h>
#include <stdlib.h>

#include "attack.h"

int main(void)
{
	const char *d = input_need("port_dead"), *b = input_need("port_b");
	char urls[8][200];
	long over = 65536 + strtol(d, NULL, 10);

	snprintf(urls[0], sizeof(urls[0]), "http://127.0.0.1:%s@127.0.0.1:%s/text", d, b);
	snprintf(urls[1], sizeof(urls[1]), "http://127.0.0.1:%s\\@127.0.0.1:%s/text", d, b);
	snprintf(urls[2], sizeof(urls[2]), "http://127.0.0.1:%s#@127.0.0.1:%s/text", b, d);
	snprintf(urls[3], sizeof(urls[3]), "http://127.0.0.1:%s?@127.0.0.1:%s/text", b, d);
	snprintf(urls[4], sizeof(urls[4]), "http://127.0.0.1:%s\t@127.0.0.1:%s/text", b, d);
	snprintf(urls[5], sizeof(urls[5]), "http://127.0.0.1:%ld/text", over);
	snprintf(urls[6], sizeof(urls[6]), "http://127.0.0.1:%s:%s/text", d, b);
	snprintf(urls[7], sizeof(urls[7]), "http://user:%s@127.0.0.1:%s/text", b, d);
	for (int i = 0; i < 8; i++) {
		http_result res;
		int32_t st = http("GET", urls[i], NULL, NULL, 0, &res);

		if (st == BA_OK)
			escaped("%s reached a live server (HTTP %d: %s); only the dead port was "
			        "granted",
			        urls[i], res.http, first_line(res.body));
		note("%s: %s (%s)", urls[i], ba_status_name(st), res.error);
	}
	blocked("no confusing URL reached a server");
}
