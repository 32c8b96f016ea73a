// Validates every Kubernetes manifest in the given directories against the API's schema
// (kubernetes-models, generated from the Kubernetes OpenAPI spec) and prints them, parsed,
// as one JSON object on stdout so test_deploy_packaging.py can check what the schema
// cannot: that the Deployment, the Service and the ConfigMap fit together.
//
//   node validate_manifests.js DIR...   exit 0: all valid; 1: errors listed on stderr

"use strict";

const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

/// The model class of an apiVersion and kind: "apps/v1" Deployment ->
/// kubernetes-models/apps/v1/Deployment; the core group ("v1") has no group part.
function modelFor(apiVersion, kind) {
    if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z]+$/.test(kind)) {
        throw new Error("apiVersion and kind must be strings");
    }
    try {
        return require(`kubernetes-models/${apiVersion}/${kind}`)[kind];
    } catch (e) {
        throw new Error(`unknown apiVersion/kind ${apiVersion} ${kind}`);
    }
}

/// The YAML documents of one file; a YAML error or warning is an error here, as kubectl's.
function documentsOf(file) {
    const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { prettyErrors: true });
    const out = [];
    for (const doc of docs) {
        const problems = [...doc.errors, ...doc.warnings];
        if (problems.length > 0) throw new Error(problems.map((p) => p.message).join("; "));
        const value = doc.toJS();
        if (value !== null) out.push(value);
    }
    return out;
}

/// Schema errors of one object, empty when valid.
function problemsOf(object) {
    if (typeof object !== "object" || Array.isArray(object)) return ["not a mapping"];
    const Model = modelFor(object.apiVersion, object.kind);
    const problems = [];
    if (!object.metadata || typeof object.metadata.name !== "string" || object.metadata.name === "") {
        problems.push("metadata.name is missing");
    }
    try {
        new Model(object).validate();
    } catch (e) {
        problems.push(e.message);
    }
    return problems;
}

function main(dirs) {
    const manifests = [];
    let failed = false;
    const files = dirs.flatMap((dir) => fs.readdirSync(dir)
        .filter((name) => name.endsWith(".yaml") || name.endsWith(".yml"))
        .sort()
        .map((name) => path.join(dir, name)));
    if (files.length === 0) {
        console.error("no manifests found");
        process.exit(1);
    }
    for (const file of files) {
        try {
            for (const object of documentsOf(file)) {
                const problems = problemsOf(object);
                for (const p of problems) console.error(`${file}: ${object.kind}: ${p}`);
                failed = failed || problems.length > 0;
                manifests.push({ file: path.basename(file), object });
            }
        } catch (e) {
            console.error(`${file}: ${e.message}`);
            failed = true;
        }
    }
    process.stdout.write(JSON.stringify({ manifests }) + "\n");
    process.exit(failed ? 1 : 0);
}

main(process.argv.slice(2));
