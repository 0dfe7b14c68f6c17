/* mg_core.h - the core library: everything the other modules stand on. */
#ifndef MG_CORE_H
#define MG_CORE_H

#include "mg_error.h"
#include "mg_buf.h"
#include "mg_log.h"
#include "mg_rng.h"
#include "mg_sha256.h"
#include "mg_utf8.h"
#include "mg_csv.h"
#include "mg_credit.h"
#include "mg_dataset.h"
#include "mg_pipeline.h"
#include "mg_model.h"
#include "mg_metrics.h"
#include "mg_optim.h"
#include "mg_json.h"
#include "mg_estimator.h"

#endif
