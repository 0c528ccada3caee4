/*  ep_certfile: the text of one certificate file, read and written.

    Certificates are zcert objects in zcert's file format, but the files are
    read here rather than with zcert_load, which in CZMQ 4.2.1 reads
    FILE_secret in place of FILE when there is one, cuts paths at 255
    characters, accepts a key that is not valid Z85 (half decoded), and
    lets zconfig print the text of a bad line on stdout: a damaged secret
    file would put key material there, and into ep-tap's JSON output.

    No reason given in err ever holds key material: a bad line is named by
    its number, never its text.  */
#ifndef EP_CERTFILE_H_INCLUDED
#define EP_CERTFILE_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

//  How a load went: which callers care about (the allow-list reads a
//  folder again while a file cannot be read now; a program's own
//  certificate that is missing points at ep-keygen).
typedef enum {
    EP_CERTFILE_OK = 0,
    EP_CERTFILE_MISSING,                //  no such file
    EP_CERTFILE_TRANSIENT,              //  cannot be read now; may pass by itself
    EP_CERTFILE_REFUSED                 //  not a certificate, or not one to trust
} ep_certfile_status_t;

//  One line on the status ("no such file", ...), for logs and tests.
const char *ep_certfile_strerror (ep_certfile_status_t status);

//  Loads the certificate at path into *cert_p, through one descriptor, so
//  that the checks (a regular file; for a secret, no access for group or
//  others; no bigger than a certificate can be) are of the text read.
//  Returns EP_CERTFILE_OK, or another status with *cert_p NULL and the
//  reason in err ("PATH: why").
ep_certfile_status_t ep_certfile_load (const char *path, bool secret, zcert_t **cert_p,
                                       char *err, size_t err_size);

//  True if cert holds a secret key (a public certificate must not).
bool ep_certfile_has_secret (zcert_t *cert);

//  The certificate's text as zcert writes it: comments, metadata (the
//  known names first), the public key and, with secret, the secret key,
//  in a buffer sized exactly (no reallocation leaves a copy of the secret
//  behind; the caller zeroes it before freeing it). Returns NULL with the
//  reason in err if a metadata name or value cannot be written so that
//  it reads back the same.
char *ep_certfile_text (zcert_t *cert, bool secret, char *err, size_t err_size);

#endif
