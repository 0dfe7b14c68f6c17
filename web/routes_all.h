/* routes_all.h - every route handler, one file per resource (not public). */
#ifndef WEB_ROUTES_ALL_H
#define WEB_ROUTES_ALL_H

#include "route.h"

/* route_meta.c */
int web_get_health(web_reply *rep, web_request *req);
int web_get_metrics(web_reply *rep, web_request *req);
int web_get_openapi(web_reply *rep, web_request *req);

/* {name} as a positive integer. Errors: MG_EPARSE naming the parameter. */
int web_param_id(int64_t *id, const web_request *req, const char *name);

/* route_jobs.c */
int web_get_job(web_reply *rep, web_request *req);
int web_delete_job(web_reply *rep, web_request *req);

/* route_events.c */
int web_get_events(web_reply *rep, web_request *req);
int web_get_webhooks(web_reply *rep, web_request *req);
int web_post_webhook(web_reply *rep, web_request *req);
int web_delete_webhook(web_reply *rep, web_request *req);

/* route_ui.c */
int web_get_ui_index(web_reply *rep, web_request *req);
int web_get_ui_file(web_reply *rep, web_request *req);

/* route_log.c */
int web_get_log_entry(web_reply *rep, web_request *req);
int web_get_tree_head(web_reply *rep, web_request *req);
int web_get_inclusion_proof(web_reply *rep, web_request *req);
int web_get_consistency_proof(web_reply *rep, web_request *req);

#endif
