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

/* route_review.c */
int web_get_gates(web_reply *rep, web_request *req);
int web_get_run(web_reply *rep, web_request *req);
int web_get_log_keys(web_reply *rep, web_request *req);

/* route_log.c */
int web_get_log_entry(web_reply *rep, web_request *req);
int web_get_tree_head(web_reply *rep, web_request *req);
int web_get_inclusion_proof(web_reply *rep, web_request *req);
int web_get_consistency_proof(web_reply *rep, web_request *req);

/* A list from governance as {"<key>": [...]} (an object is sent as it is). */
int web_reply_list(web_reply *rep, const char *key, json_t *list);

/* route_datasets.c */
int web_get_datasets(web_reply *rep, web_request *req);
int web_get_dataset(web_reply *rep, web_request *req);
int web_post_dataset(web_reply *rep, web_request *req);

/* route_models.c */
int web_get_models(web_reply *rep, web_request *req);
int web_get_model(web_reply *rep, web_request *req);
int web_post_model(web_reply *rep, web_request *req);
int web_patch_model(web_reply *rep, web_request *req);

/* route_versions.c */
int web_get_versions(web_reply *rep, web_request *req);
int web_get_version(web_reply *rep, web_request *req);
int web_post_version(web_reply *rep, web_request *req);
int web_get_card(web_reply *rep, web_request *req);

/* route_lineage.c */
int web_get_lineage(web_reply *rep, web_request *req);

/* route_reports.c */
int web_get_reports(web_reply *rep, web_request *req);
int web_get_report(web_reply *rep, web_request *req);
int web_post_report(web_reply *rep, web_request *req);

/* route_workflow.c */
int web_get_transitions(web_reply *rep, web_request *req);
int web_post_transition(web_reply *rep, web_request *req);

/* route_predict.c */
int web_post_predict(web_reply *rep, web_request *req);

#endif
