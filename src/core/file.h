/*
 * file.h - reading whole files with a size cap.
 */
#ifndef BA_CORE_FILE_H
#define BA_CORE_FILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads the file at path (or standard input for "-") into a new buffer.
 * On success returns 0, *data is taken by the caller (free() it; it has a
 * NUL after the last byte) and *len its length. Files larger than limit
 * bytes are refused. On failure returns -1 and writes a one-line reason
 * naming the file into err (err_size bytes).
 */
int ba_read_file(const char *path, size_t limit, uint8_t **data, size_t *len, char *err,
                 size_t err_size) __attribute__((warn_unused_result));

#endif /* BA_CORE_FILE_H */
