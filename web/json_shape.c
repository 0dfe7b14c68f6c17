/* json_shape.c - check a JSON body against its documented shape; check names. */
#include "route.h"

#include "mg_error.h"

#include <stdio.h>
#include <string.h>

static const char *type_name(web_type t)
{
    static const char *const names[] = {"string", "integer", "number", "boolean",
                                        "object", "array",   "any"};
    return names[t];
}

static int type_ok(const json_t *v, web_type t)
{
    switch (t) {
    case WEB_STRING:
        return json_is_string(v);
    case WEB_INTEGER:
        return json_is_integer(v);
    case WEB_NUMBER:
        return json_is_number(v);
    case WEB_BOOLEAN:
        return json_is_boolean(v);
    case WEB_OBJECT:
        return json_is_object(v);
    case WEB_ARRAY:
        return json_is_array(v);
    default:
        return 1;
    }
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static int check_object(const json_t *obj, const web_field *fields, const char *prefix);

static int check_value(const json_t *v, const web_field *f, const char *path)
{
    char sub[256];

    if (!type_ok(v, f->type))
        return mg_error_set(MG_EPARSE, "field '%s': expected %s, got %s", path,
                            type_name(f->type), json_kind(v));
    if (f->type == WEB_STRING && f->choices) {
        const char *s = json_string_value(v);
        size_t i;
        for (i = 0; f->choices[i] && strcmp(f->choices[i], s) != 0; i++)
            ;
        if (!f->choices[i]) {
            char list[256] = "";
            for (i = 0; f->choices[i]; i++) {
                strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, f->choices[i], sizeof list - strlen(list) - 1);
            }
            return mg_error_set(MG_EPARSE, "field '%s': '%s' is not one of %s", path, s, list);
        }
    }
    if (f->type == WEB_OBJECT && f->sub)
        return check_object(v, f->sub, path);
    if (f->type == WEB_ARRAY) {
        size_t i;
        json_t *item;
        web_field itemf = {f->name, f->items, 1, NULL, f->sub, WEB_ANY, f->choices};
        json_array_foreach(v, i, item)
        {
            int rc;
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if ((rc = check_value(item, &itemf, sub)) < 0)
                return rc;
        }
    }
    return MG_OK;
}

static int check_object(const json_t *obj, const web_field *fields, const char *prefix)
{
    const char *key;
    json_t *v;
    char path[256];
    int rc;

    json_object_foreach((json_t *)obj, key, v)
    {
        const web_field *f;
        for (f = fields; f->name && strcmp(f->name, key) != 0; f++)
            ;
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", key);
        if (!f->name)
            return mg_error_set(MG_EPARSE, "unknown field '%s'", path);
        if ((rc = check_value(v, f, path)) < 0)
            return rc;
    }
    for (const web_field *f = fields; f->name; f++)
        if (f->required && !json_object_get(obj, f->name)) {
            snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", f->name);
            return mg_error_set(MG_EPARSE, "missing required field '%s'", path);
        }
    return MG_OK;
}

int web_json_check(const json_t *body, const web_field *fields)
{
    if (!json_is_object(body))
        return mg_error_set(MG_EPARSE, "request body: expected a JSON object, got %s",
                            json_kind(body));
    return check_object(body, fields, "");
}

int web_name_check(const char *name, const char *what)
{
    size_t n = strlen(name);

    if (n == 0 || n > 128)
        return mg_error_set(MG_EPARSE, "%s: a name has 1 to 128 characters", what);
    if (name[0] == '.')
        return mg_error_set(MG_EPARSE, "%s '%.*s': a name may not start with '.'", what,
                            (int)(n > 40 ? 40 : n), name);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@' || c == ':'))
            return mg_error_set(MG_EPARSE,
                                "%s: byte %zu (0x%02x) not allowed; a name uses only letters, "
                                "digits, '.', '_', '-', '@' and ':'",
                                what, i + 1, c);
    }
    return MG_OK;
}

const char *web_json_str(const json_t *o, const char *k, const char *def)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : def;
}

long long web_json_int(const json_t *o, const char *k, long long def)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

double web_json_num(const json_t *o, const char *k, double def)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : def;
}
