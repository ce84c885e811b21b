/*
 * Read the social security card through libsscard.so, as an existing C system would call its
 * reader vendor's library.
 *
 *     cc examples/c/read_card.c -Iinclude -Ltarget/release -lsscard -o read_card
 *     LD_LIBRARY_PATH=target/release ./read_card
 *
 * The reader, profile and keys come from /etc/sscard/sscard.toml (or SSCARD_* variables).
 * Prints the iReadCardBas line as the library gives it (GBK) and the reader information;
 * exits with 1 and the code and its explanation on failure.
 */
#include <stdio.h>
#include "sscard.h"

int main(void)
{
    char info[SSCARD_OUT_MAX];
    char reader_sn[SSCARD_INFO_MAX];
    char term_no[SSCARD_INFO_MAX];
    long rc;

    rc = iReadCardBas(1, info); /* 1: contact card */
    if (rc != 0) {
        fprintf(stderr, "iReadCardBas failed: %ld %s\n", rc, info);
        return 1;
    }
    printf("%s\n", info);

    rc = iGetReaderInfo(reader_sn, term_no);
    if (rc != 0) {
        fprintf(stderr, "iGetReaderInfo failed: %ld %s\n", rc, reader_sn);
        return 1;
    }
    printf("reader %s terminal %s\n", reader_sn, term_no);
    return 0;
}
