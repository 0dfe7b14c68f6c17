/* route_ui.c - the reviewer UI: static files embedded in the binary, served at / and /ui/. */
#include "assets.h"
#include "routes_all.h"

#include "mg_error.h"

#include <stdlib.h>
#include <string.h>

static int serve(web_reply *rep, const char *name)
{
    for (const web_asset *a = web_ui_assets; a->name; a++) {
        if (strcmp(a->name, name) != 0)
            continue;
        if (!(rep->text = malloc(a->len + 1)))
            return mg_error_set(MG_ENOMEM, "out of memory");
        memcpy(rep->text, a->data, a->len);
        rep->text[a->len] = '\0';
        rep->text_len = a->len;
        rep->content_type = a->content_type;
        return MG_OK;
    }
    return mg_error_set(MG_ENOTFOUND, "no UI file '%s'", name);
}

int web_get_ui_index(web_reply *rep, web_request *req)
{
    (void)req;
    return serve(rep, "index.html");
}

int web_get_ui_file(web_reply *rep, web_request *req)
{
    return serve(rep, web_param(req, "file"));
}
