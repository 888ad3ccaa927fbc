/* hello.c - the smallest WASI guest: one line to stdout. */
#include <stdio.h>

int main(void)
{
	printf("hello, world\n");
	return 0;
}
