/* auth.h - bearer tokens and per-route roles (not public). */
#ifndef WEB_AUTH_H
#define WEB_AUTH_H

#include "route.h"
#include "server.h"

/*
 * Authenticate the request on `conn` for route `rt`: read
 * "Authorization: Bearer <token>", look the token up (by hash, compared in
 * constant time) and check its role against rt->min_role. Routes needing no
 * role pass without a token. Errors: MG_EAUTH (401: missing, malformed or
 * unknown token), MG_EPERM (403: role too low, naming both roles).
 */
int web_auth_check(web_request *req, mg_server *s, void *conn, const web_route *rt);

/*
 * Look a raw token up in the store (or in the token cache when the request
 * has a log-size stamp). Errors: MG_EAUTH (unknown or revoked), MG_EIO.
 * Implemented by app.c on governance's tokens.
 */
int web_app_token_lookup(web_principal *who, mg_server *s, const char *token, int have_stamp,
                         uint64_t stamp);

#endif
