/* commands.c - the table of subcommands and the dispatch from argv to one of them. */
#include "cli.h"
#include "mg_error.h"

#include <string.h>

#ifndef MG_VERSION
#define MG_VERSION "0.0.0"
#endif

static const cli_flag init_flags[] = {
    {"store", "DIR", "directory of the new store (created if missing)"},
    {NULL, NULL, NULL}};

static const cli_flag gen_data_flags[] = {
    {"rows", "N", "number of rows (default 10000)"},
    {"seed", "S", "random seed (default 1); same seed, same bytes"},
    {"gap", "G", "approval-rate gap between men and women (default 0.15)"},
    {"out", "FILE.csv", "output file (default: standard output)"},
    {NULL, NULL, NULL}};

static const cli_flag train_flags[] = {
    {"data", "FILE", "training data (CSV with a header row)"},
    {"label", "COL", "label column"},
    {"positive", "VALUE", "label value of the positive class (binary models)"},
    {"model", "TYPE", "linear | logistic | softmax | mlp"},
    {"hidden", "N,N,...", "hidden layer sizes of an MLP (default 32,16)"},
    {"activation", "F", "relu | tanh (MLP; default relu)"},
    {"epochs", "N", "passes over the training data (default 10)"},
    {"batch", "N", "mini-batch size (default 64)"},
    {"lr", "X", "learning rate (default 0.01 for adam, 0.1 for sgd)"},
    {"optimizer", "NAME", "sgd | adam (default adam)"},
    {"momentum", "X", "SGD momentum (default 0.9)"},
    {"l2", "X", "L2 regularisation strength (default 0)"},
    {"schedule", "NAME", "constant | step | cosine learning-rate schedule"},
    {"loss", "NAME", "mse | mae (linear models; default mse)"},
    {"seed", "S", "random seed for splits, initialisation and batches (default 1)"},
    {"test-fraction", "F", "share of rows held out for evaluation (default 0.2)"},
    {"test-data", "FILE", "evaluate on this file instead of a held-out split"},
    {"stratify", NULL, "keep the label's class shares in the split"},
    {"schema", "COL:TYPE,...", "override inferred column types (numeric | categorical)"},
    {"ignore", "COL,...", "columns not used as features"},
    {"early-stopping", "N", "stop when eval loss has not improved for N epochs"},
    {"model-dir", "DIR", "checkpoint directory"},
    {"checkpoint-every", "N", "checkpoint every N steps"},
    {"keep-checkpoints", "K", "keep the last K checkpoints (default 3)"},
    {"out", "MODEL.mgm", "where to write the trained model"},
    {"dp", NULL, "train with DP-SGD"},
    {"max-grad-norm", "C", "DP: per-example clipping norm"},
    {"noise-multiplier", "S", "DP: Gaussian noise multiplier sigma"},
    {"target-epsilon", "E", "DP: pick sigma so the run spends at most E"},
    {"delta", "D", "DP: target delta"},
    {"max-epsilon", "E", "DP: refuse to train past this epsilon"},
    {"insecure-seed", "S", "DP: reproducible, NOT secure noise (tests only)"},
    {NULL, NULL, NULL}};

static const cli_flag predict_flags[] = {
    {"model", "M.mgm", "model artifact"},
    {"data", "FILE", "rows to predict (CSV with a header row)"},
    {"out", "FILE.csv", "write predictions here (default: standard output)"},
    {NULL, NULL, NULL}};

static const cli_flag evaluate_flags[] = {
    {"model", "M.mgm", "model artifact"},
    {"data", "FILE", "labelled rows (CSV with a header row)"},
    {"label", "COL", "label column"},
    {"positive", "VALUE", "label value of the positive class"},
    {NULL, NULL, NULL}};

static const cli_flag bias_flags[] = {
    {"data", "FILE", "data set (CSV with a header row)"},
    {"label", "COL", "label column"},
    {"positive", "VALUE", "positive label value(s), comma separated, or >=NUMBER (>, <=, <)"},
    {"facet", "COL=V|COL>=N", "facet d: COL=V1,V2 or COL>=N (>, <=, <); several: 'F1;F2'"},
    {"group", "COL", "group column for CDDL / CDDPL"},
    {"predictions", "P.csv", "predictions file, one row per data row"},
    {"predicted-column", "C", "predicted label column (default: the first column)"},
    {"score-column", "C", "score column: positive when score > --probability-threshold"},
    {"probability-threshold", "P", "score > P is positive (--score-column, FT model; 0.5)"},
    {"model", "M.mgm", "model artifact (for the flip test FT)"},
    {"metrics", "CI,DPL,...", "metrics to compute, or pre | post (default: all that apply)"},
    {"bootstrap", "N", "95% percentile intervals from N bootstrap samples"},
    {"seed", "S", "bootstrap seed (default 1)"},
    {"drop-missing", NULL, "leave out rows with a missing facet/label/group/prediction"},
    {"label-values", NULL, "KL, JS, LP, TVD, KS over the label's values, not positive/negative"},
    {NULL, NULL, NULL}};

static const cli_flag explain_flags[] = {
    {"model", "M.mgm", "model artifact"},
    {"data", "FILE", "rows to explain (CSV with a header row)"},
    {"rows", "A-B", "row range to explain, first and last included (default 0-9)"},
    {"method", "NAME", "kernel-shap | exact | linear | lime"},
    {"background", "N", "background rows sampled from the data (default 100)"},
    {"kmeans", NULL, "summarise the background by N weighted k-means centres instead"},
    {"nsamples", "N", "Kernel SHAP coalitions / LIME samples per row (default 2048 / 5000)"},
    {"seed", "S", "random seed (default 1)"},
    {"link", "NAME", "identity | logit: the space Kernel SHAP and exact values add up in"},
    {"l1", "R", "Kernel SHAP: keep only R columns (shap's num_features(R)); default off"},
    {"top", "K", "LIME: columns in the local model (default 10)"},
    {"class", "NAME", "class to explain (softmax models; default the positive class)"},
    {"threads", "N", "worker threads (default: one per CPU); results do not depend on it"},
    {NULL, NULL, NULL}};

static const cli_flag privacy_flags[] = {
    {"sample-rate", "Q", "Poisson sampling rate q"},
    {"noise-multiplier", "S", "noise multiplier sigma (epsilon)"},
    {"target-epsilon", "E", "target epsilon (noise)"},
    {"steps", "T", "number of steps"},
    {"delta", "D", "target delta"},
    {"accountant", "NAME", "rdp | prv (default rdp)"},
    {NULL, NULL, NULL}};

static const cli_flag serve_flags[] = {
    {"store", "DIR", "store directory"},
    {"listen", "HOST:PORT", "address to listen on (default 127.0.0.1:8080; port 0: any free)"},
    {"threads", "N", "HTTP threads (default 4)"},
    {"workers", "N", "background job workers: training, reports (default 2)"},
    {"max-body", "BYTES", "largest JSON request body (default 1048576); past it: 413"},
    {"max-upload", "BYTES", "largest upload, CSV or artifact (default 1073741824); past it: 413"},
    {"tls-cert", "PEM", "serve HTTPS with this certificate (with --tls-key)"},
    {"tls-key", "PEM", "private key of --tls-cert"},
    {"port-file", "FILE", "write the port listened on here once ready (scripts, tests)"},
    {"webhook-any-host", NULL, "allow webhook URLs on any host (default: loopback only)"},
    {NULL, NULL, NULL}};

static const cli_flag token_flags[] = {
    {"store", "DIR", "store directory"},
    {"name", "NAME", "token name (the actor in the log)"},
    {"role", "ROLE", "viewer | submitter | reviewer | admin"},
    {NULL, NULL, NULL}};

static const cli_flag verify_flags[] = {
    {"store", "DIR", "verify a whole store"},
    {"bundle", "FILE", "verify an audit bundle, no store needed"},
    {"trusted-key", "FILE|KEYID",
     "pin the log's founding key (entry 0 must announce it): its id or its public key PEM"},
    {"threads", "N", "signature-checking threads (default: one per CPU)"},
    {NULL, NULL, NULL}};

static const cli_flag audit_flags[] = {
    {"store", "DIR", "store directory"},
    {"model", "NAME", "model name"},
    {"version", "V", "model version"},
    {"out", "FILE", "bundle to write"},
    {NULL, NULL, NULL}};

const cli_command cli_commands[] = {
    {"init", "--store DIR", "Create a store: database, artifact folder and signing key.",
     init_flags, cmd_init},
    {"gen-data", "credit --rows N --seed S --out FILE.csv",
     "Generate the synthetic credit-approval data set (see README).", gen_data_flags,
     cmd_gen_data},
    {"train", "--data F --label COL --model linear|logistic|softmax|mlp [flags]",
     "Train a model and write its .mgm artifact.", train_flags, cmd_train},
    {"predict", "--model M.mgm --data F [--out preds.csv]", "Predict with a saved model.",
     predict_flags, cmd_predict},
    {"evaluate", "--model M.mgm --data F --label COL [--positive VALUE]",
     "Evaluate a saved model on labelled data.", evaluate_flags, cmd_evaluate},
    {"bias", "--data F --label COL --positive V --facet COL=V [flags]",
     "Pre- and post-training bias metrics (SageMaker Clarify's set).", bias_flags, cmd_bias},
    {"explain", "--model M.mgm --data F --method kernel-shap|exact|linear|lime [flags]",
     "Explain predictions on the model's original columns.", explain_flags, cmd_explain},
    {"privacy", "epsilon|noise [flags]",
     "epsilon: privacy spent by DP-SGD; noise: sigma for a target epsilon.", privacy_flags,
     cmd_privacy},
    {"serve", "--store DIR [--listen 127.0.0.1:8080]", "Serve the web API and reviewer UI.",
     serve_flags, cmd_serve},
    {"token", "create --store DIR --name NAME --role ROLE", "Create an API token.",
     token_flags, cmd_token},
    {"verify", "--store DIR | --bundle FILE",
     "Re-verify the signed log, its Merkle tree and every artifact.", verify_flags,
     cmd_verify},
    {"audit", "export --store DIR --model NAME --version V --out FILE",
     "Export a model version's audit bundle.", audit_flags, cmd_audit},
    {NULL, NULL, NULL, NULL, NULL}};

const cli_command *cli_find(const char *name)
{
    for (const cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: modelgov <command> [flags]\n\ncommands:\n");
    for (const cli_command *c = cli_commands; c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\n'modelgov <command> --help' describes a command's flags.\n");
}

int cli_main(int argc, char **argv)
{
    const cli_command *cmd;

    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USER;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("modelgov %s\n", MG_VERSION);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        if (argc > 2 && (cmd = cli_find(argv[2]))) {
            cli_print_help(stdout, cmd);
            return CLI_EXIT_OK;
        }
        if (argc > 2) {
            fprintf(stderr, "modelgov: unknown command '%s'\n", argv[2]);
            return CLI_EXIT_USER;
        }
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!(cmd = cli_find(argv[1]))) {
        fprintf(stderr, "modelgov: unknown command '%s' (see 'modelgov help')\n", argv[1]);
        return CLI_EXIT_USER;
    }
    return cmd->run(argc - 1, argv + 1);
}
