/* Tests for src/core/file.c: whole-file reads with a cap. */
#include "test.h"

#include "core/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void write_temp(char *path, size_t path_size, const char *content)
{
	int fd;
	snprintf(path, path_size, "/tmp/ba-file-test-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, content, strlen(content)), (int)strlen(content));
	close(fd);
}

TEST(reads_whole_file)
{
	char path[64], err[256];
	uint8_t *data;
	size_t len;
	write_temp(path, sizeof(path), "hello\nworld");
	CHECK_EQ_INT(ba_read_file(path, 100, &data, &len, err, sizeof(err)), 0);
	CHECK_EQ_UINT(len, 11);
	CHECK_EQ_STR((char *)data, "hello\nworld");
	free(data);
	unlink(path);
}

TEST(refuses_file_over_limit)
{
	char path[64], err[256];
	uint8_t *data;
	size_t len;
	write_temp(path, sizeof(path), "0123456789");
	CHECK_EQ_INT(ba_read_file(path, 9, &data, &len, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "larger than the limit of 9 bytes");
	unlink(path);
}

TEST(missing_file_and_directory_are_clear_errors)
{
	char err[256];
	uint8_t *data;
	size_t len;
	CHECK_EQ_INT(ba_read_file("/nonexistent/x.wasm", 9, &data, &len, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "cannot open /nonexistent/x.wasm");
	CHECK_EQ_INT(ba_read_file("/tmp", 9, &data, &len, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "is a directory");
}
