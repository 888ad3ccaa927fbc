/*
 * net_metadata: the cloud metadata service.
 *
 * Grant: the wildcard network grant (host "*", port "*").
 * http://169.254.169.254/latest/meta-data/ and the IPv6 one
 * ([fd00:ec2::254]), private ranges, and IPv6 link-local with and without
 * a zone. A refusal must come before any connect: FAILED or TIMEOUT would
 * mean the host tried.
 * Proves: link-local and private ranges are refused under a wildcard.
 */
#include "attack.h"

int main(void)
{
	attempt_request("GET", "http://169.254.169.254/latest/meta-data/", NULL, NULL, 0, NULL);
	attempt_request("GET", "http://[fd00:ec2::254]/latest/meta-data/", NULL, NULL, 0, NULL);
	attempt_request("GET", "http://10.0.0.1/", NULL, NULL, 0, NULL);
	attempt_request("GET", "http://192.168.0.1/", NULL, NULL, 0, NULL);
	attempt_request("GET", "http://[fe80::1%25lo]/", NULL, NULL, 0, NULL);
	attempt_request("GET", "http://[fe80::a9fe:a9fe]/", NULL, NULL, 0, NULL);
	blocked("metadata and private addresses were refused before connecting");
}
