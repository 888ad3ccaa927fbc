/*
 * net_short_forms: more spellings of loopback: 127.1, 0x7f.0.0.1,
 * 0x7f000001, 127.000.000.001, trailing dots, upper case, percent-encoded
 * and NUL-truncated hosts.
 *
 * Grant: network:http://<any>:<any> (host and port "*").
 * Proves: no spelling slips past the classifier.
 */
#include <stdio.h>

#include "attack.h"

int main(void)
{
	static const char *const hosts[] = {"127.1",       "0x7f.0.0.1",
	                                    "0x7f000001",  "127.000.000.001",
	                                    "127.0.0.1.",  "localhost.",
	                                    "LOCALHOST",   "127.0.0.1%2e",
	                                    "127.0.0.%31", "127.0.0.1%00.example.com"};
	char url[256];
	const char *a = input_need("port_a");

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		snprintf(url, sizeof(url), "http://%s:%s/text", hosts[i], a);
		attempt_request("GET", url, NULL, NULL, 0, NULL);
	}
	blocked("every short form of loopback was refused");
}
