/* print_json.c - one JSON document on stdout, reals in their shortest round-trip form. */
#include "cli.h"
#include "mg_error.h"
#include "mg_json.h"

#include <stdio.h>
#include <stdlib.h>

int cli_print_json(const json_t *doc)
{
    char *text = doc ? mg_json_dumps(doc, JSON_INDENT(2)) : NULL;

    if (!text)
        return mg_error_set(MG_ENOMEM, "no memory for the JSON output");
    puts(text);
    free(text);
    return MG_OK;
}
