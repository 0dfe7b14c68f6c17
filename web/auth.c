/* auth.c - "Authorization: Bearer" parsing and the role check of the routing table. */
#include "auth.h"

#include "mg_error.h"

#include <microhttpd.h>
#include <string.h>
#include <strings.h>

int web_auth_check(web_request *req, mg_server *s, void *conn, const web_route *rt)
{
    web_principal *who = &req->who;
    const char *h;
    int rc;

    memset(who, 0, sizeof *who);
    who->name = who->actor.name;
    if (rt->min_role == MG_WEB_ROLE_NONE)
        return MG_OK;
    h = MHD_lookup_connection_value((struct MHD_Connection *)conn, MHD_HEADER_KIND,
                                    MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h)
        return mg_error_set(MG_EAUTH, "missing 'Authorization: Bearer <token>' header");
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return mg_error_set(MG_EAUTH, "Authorization header: expected 'Bearer <token>'");
    h += 7;
    while (*h == ' ')
        h++;
    if (!*h || strlen(h) > 256)
        return mg_error_set(MG_EAUTH, "Authorization header: empty or oversized token");
    if ((rc = web_app_token_lookup(who, s, h, req->have_stamp, req->stamp)) < 0)
        return rc;
    if (who->role < rt->min_role)
        return mg_error_set(MG_EPERM, "%s %s needs the %s role; token '%s' is %s", rt->method,
                            rt->pattern, mg_web_role_name(rt->min_role), who->name,
                            mg_web_role_name(who->role));
    return MG_OK;
}
