/*
 * fs_audit_injection: forge audit records through the names the tool
 * chooses.
 *
 * Grant: fs.read:/workspace. Denied opens are recorded with the guest
 * path as the target, and the tool picks the path: it asks for paths
 * holding a quote and a fake continuation of the record
 * ("decision":"allow"...), a newline followed by a whole fake record, a
 * backslash, a carriage return, U+2028, and a 4000-byte name. The harness
 * checks that every line of the log is still one record of the writer's
 * making, that the chain verifies, and that no allow for /etc/passwd
 * appeared.
 * Proves: the audit log escapes what it records; a tool cannot write
 * records.
 */
#include <stdio.h>
#include <string.h>

#include "attack.h"

/* A newline and then a whole record of the tool's making. */
static const char newline_record[] =
        "/etc/x\n{\"seq\":1,\"decision\":\"allow\",\"capability\":\"fs.read\",\"target\":\"/etc/passwd\"}\n";

int main(void)
{
	static char longname[4100];
	const char *const paths[] = {
	        "/etc/x\",\"decision\":\"allow\",\"capability\":\"fs.read\",\"target\":\"/etc/passwd",
	        newline_record,
	        "/etc/x\\\",\"decision\":\"allow",
	        "/etc/x\r{\"decision\":\"allow\"}",
	        "/etc/x\xe2\x80\xa8{\"decision\":\"allow\"}",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		attempt_open(paths[i]);
	memcpy(longname, "/etc/", 5);
	memset(longname + 5, 'a', 4000);
	attempt_open(longname);
	blocked("every forged path was refused (the harness checks how it was recorded)");
}
