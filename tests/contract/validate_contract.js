#!/usr/bin/env node
// Checks the gateway's OpenAPI document with independent tools:
//   node validate_contract.js DOC.json              the document is valid OpenAPI 3.1
//                                                   (@apidevtools/swagger-parser), every
//                                                   schema compiles in Ajv's strict mode,
//                                                   path templates match path parameters
//   node validate_contract.js DOC.json ANSWERS.json  and every recorded answer is
//                                                   documented: its status is listed for
//                                                   its operation, its required headers
//                                                   are there, its headers and JSON body
//                                                   validate against the documented schemas
//                                                   (Ajv, JSON Schema 2020-12)
// ANSWERS.json: [{label, method, path (the document's path template), status,
//                 headers: {lower-case name: value}, body: parsed JSON or null,
//                 json: true when the body parsed as JSON}]
// Prints one line per problem and {"checked": N, "problems": M} last; exits 1 on any.
//   node validate_contract.js --cases CASES.json   several [{name, doc, answers}] in one
//                                                   run (the tests' mutated documents):
//                                                   {"case", "checked", "problems"} each
"use strict";

const fs = require("fs");
const SwaggerParser = require("@apidevtools/swagger-parser");
const Ajv2020 = require("ajv/dist/2020");

const pathMethods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function load(path) {
  return JSON.parse(fs.readFileSync(path, "utf8"));
}

// Formats are annotations in OpenAPI 3.1 unless a vocabulary asks for them; patterns say
// what the gateway checks.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map();

function validator(schema) {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) compiled.set(key, ajv.compile(schema));
  return compiled.get(key);
}

function schemaProblems(schema, value) {
  const check = validator(schema);
  if (check(value)) return [];
  return check.errors.map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
}

/// A header value in the type its schema gives (headers travel as text).
function headerValue(schema, text) {
  if (schema && (schema.type === "integer" || schema.type === "number")) {
    return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  }
  return text;
}

function headerProblems(response, answer) {
  const out = [];
  for (const [name, header] of Object.entries(response.headers || {})) {
    const text = answer.headers[name.toLowerCase()];
    if (text === undefined) {
      if (header.required) out.push(`required header ${name} is missing`);
      continue;
    }
    for (const p of schemaProblems(header.schema || {}, headerValue(header.schema, text))) {
      out.push(`header ${name}: ${text}: ${p}`);
    }
  }
  return out;
}

function bodyProblems(response, answer) {
  const content = response.content || {};
  const media = content["application/json"];
  if (!media) return [];
  if (answer.method === "HEAD") return [];  // no body to check
  if (!answer.json) return ["the body is not JSON though the answer documents application/json"];
  const contentType = answer.headers["content-type"] || "";
  if (!contentType.startsWith("application/json")) return [`Content-Type ${contentType}, documented application/json`];
  return schemaProblems(media.schema || {}, answer.body).map((p) => `body ${p}`);
}

// ---- checks of the document the OpenAPI 3.1 meta-schema leaves open ----------------

// Every schema must be a JSON Schema 2020-12 that Ajv compiles in strict mode: unknown
// keywords or types, and patterns that are no ECMA-262 regular expression, are errors.
const strictAjv = new Ajv2020({ strict: true, strictTypes: false, validateFormats: false });

function* documentSchemas(doc) {
  for (const [name, schema] of Object.entries((doc.components || {}).schemas || {})) {
    yield [`components.schemas.${name}`, schema];
  }
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of pathMethods.filter((m) => item[m])) {
      const op = item[method];
      const where = `${method.toUpperCase()} ${path}`;
      for (const p of op.parameters || []) yield [`${where} parameter ${p.name}`, p.schema || {}];
      for (const [media, m] of Object.entries((op.requestBody || {}).content || {})) {
        yield [`${where} body ${media}`, m.schema || {}];
      }
      for (const [status, r] of Object.entries(op.responses || {})) {
        for (const [name, h] of Object.entries(r.headers || {})) yield [`${where} ${status} header ${name}`, h.schema || {}];
        for (const [media, m] of Object.entries(r.content || {})) yield [`${where} ${status} ${media}`, m.schema || {}];
      }
    }
  }
}

function schemaDefinitionProblems(doc) {
  const out = [];
  for (const [where, schema] of documentSchemas(doc)) {
    try {
      strictAjv.compile(schema);
    } catch (err) {
      out.push(`${where}: not a valid JSON Schema: ${err.message}`);
    }
  }
  return out;
}

// Each {name} of a path template is a required path parameter of every operation, and
// every path parameter appears in the template (OpenAPI 3.1, 4.8.12.1).
function pathParameterProblems(doc) {
  const out = [];
  for (const [path, item] of Object.entries(doc.paths || {})) {
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    for (const method of pathMethods.filter((m) => item[m])) {
      const declared = (item[method].parameters || []).filter((p) => p.in === "path");
      const got = declared.map((p) => p.name).sort();
      if (JSON.stringify(got) !== JSON.stringify(names)) {
        out.push(`${method.toUpperCase()} ${path}: path parameters ${got} for template names ${names}`);
      }
      for (const p of declared.filter((p) => p.required !== true)) out.push(`${method.toUpperCase()} ${path}: ${p.name} not required`);
    }
  }
  return out;
}

function operationIdProblems(doc) {
  const seen = new Set();
  const out = [];
  for (const item of Object.values(doc.paths || {})) {
    for (const method of pathMethods.filter((m) => item[m] && item[m].operationId)) {
      const id = item[method].operationId;
      if (seen.has(id)) out.push(`operationId ${id} is not unique`);
      seen.add(id);
    }
  }
  return out;
}

function answerProblems(doc, answer) {
  const item = (doc.paths || {})[answer.path];
  if (!item) return [`path ${answer.path} is not in the document`];
  const op = item[answer.method.toLowerCase()];
  if (!op) return [`${answer.method} is not documented for ${answer.path}`];
  const responses = op.responses || {};
  const response = responses[String(answer.status)] || responses.default;
  if (!response) return [`status ${answer.status} is not documented (documented: ${Object.keys(responses).join(", ")})`];
  return headerProblems(response, answer).concat(bodyProblems(response, answer));
}

/// Checks one document and its answers; prints a line per problem, returns the counts.
async function check(document, answers, prefix) {
  const say = (line) => console.log(prefix + line);
  // validate() checks the document against the published OpenAPI 3.1 schema; it changes
  // its argument, hence the copies
  try {
    await SwaggerParser.validate(structuredClone(document));
  } catch (err) {
    say(`invalid OpenAPI document: ${err.message}`);
    return { checked: 0, problems: 1 };
  }
  let problems = 0;
  let checked = 0;
  const doc = await SwaggerParser.dereference(structuredClone(document));
  for (const p of [...schemaDefinitionProblems(doc), ...pathParameterProblems(doc), ...operationIdProblems(doc)]) {
    problems += 1;
    say(`invalid OpenAPI document: ${p}`);
  }
  for (const answer of answers || []) {
    checked += 1;
    for (const p of answerProblems(doc, answer)) {
      problems += 1;
      say(`${answer.label}: ${answer.method} ${answer.path} -> ${answer.status}: ${p}`);
    }
  }
  return { checked, problems };
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--cases" && args[1]) {
    // [{name, doc, answers}]: one summary line per case, exit 0 whatever they found
    for (const c of load(args[1])) {
      const counts = await check(c.doc, c.answers, `[${c.name}] `);
      console.log(JSON.stringify({ case: c.name, ...counts }));
    }
    return;
  }
  if (!args[0]) {
    console.error("usage: validate_contract.js DOC.json [ANSWERS.json] | --cases CASES.json");
    process.exit(2);
  }
  const counts = await check(load(args[0]), args[1] ? load(args[1]) : [], "");
  console.log(JSON.stringify(counts));
  process.exit(counts.problems ? 1 : 0);
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(2);
});
