/* policy.c - a model's approval policy: bias and metric thresholds, the privacy budget. */
#include "inventory.h"

#include <math.h>
#include <string.h>

json_t *gov_policy_default(void)
{
    /* DESIGN §5: disparate impact within the four-fifths rule and its inverse */
    return json_pack("{s:{s:{s:f,s:f}}}", "bias", "DI", "min", 0.8, "max", 1.25);
}

/* {"NAME": {"min": x, "max": y}, ...} with at least one bound, min <= max. */
static int check_ranges(const json_t *ranges, const char *field)
{
    const char *name;
    const json_t *r;

    if (!json_is_object(ranges))
        return mg_error_set(MG_EINVAL, "policy.%s: expected an object of {\"min\",\"max\"}", field);
    json_object_foreach((json_t *)ranges, name, r)
    {
        const json_t *lo = json_object_get(r, "min"), *hi = json_object_get(r, "max");
        if (!json_is_object(r) || (!lo && !hi) || json_object_size(r) != (size_t)(!!lo + !!hi) ||
            (lo && !json_is_number(lo)) || (hi && !json_is_number(hi)))
            return mg_error_set(MG_EINVAL, "policy.%s.%s: expected {\"min\": number, \"max\": "
                                           "number} (either may be left out)",
                                field, name);
        if (lo && hi && json_number_value(lo) > json_number_value(hi))
            return mg_error_set(MG_EINVAL, "policy.%s.%s: min %g is above max %g", field, name,
                                json_number_value(lo), json_number_value(hi));
    }
    return MG_OK;
}

int gov_policy_check(const json_t *policy)
{
    const char *key;
    const json_t *v;
    int rc;

    if (!json_is_object(policy))
        return mg_error_set(MG_EINVAL, "policy: expected a JSON object");
    json_object_foreach((json_t *)policy, key, v)
    {
        if (strcmp(key, "bias") == 0 || strcmp(key, "metrics") == 0) {
            if ((rc = check_ranges(v, key)) < 0)
                return rc;
        } else if (strcmp(key, "max_epsilon") == 0) {
            if (!json_is_number(v) || !(json_number_value(v) > 0))
                return mg_error_set(MG_EINVAL, "policy.max_epsilon: expected a number > 0");
        } else if (strcmp(key, "delta") == 0) {
            double d = json_number_value(v);
            if (!json_is_number(v) || !(d > 0 && d < 1))
                return mg_error_set(MG_EINVAL, "policy.delta: expected a number in (0, 1)");
        } else if (strcmp(key, "privacy_scope") == 0) {
            const char *t = json_string_value(v);
            if (!t || (strcmp(t, "dataset") != 0 && strcmp(t, "run") != 0))
                return mg_error_set(MG_EINVAL, "policy.privacy_scope: expected \"dataset\" or "
                                               "\"run\"");
        } else {
            return mg_error_set(MG_EINVAL, "policy: unknown field '%s' (expected bias, metrics, "
                                           "max_epsilon, delta, privacy_scope)",
                                key);
        }
    }
    return MG_OK;
}
