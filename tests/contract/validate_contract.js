#!/usr/bin/env node
// Checks the gateway's OpenAPI document with independent tools:
//   node validate_contract.js DOC.json              the document is valid OpenAPI 3.1
//                                                   (@apidevtools/swagger-parser)
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
"use strict";

const fs = require("fs");
const SwaggerParser = require("@apidevtools/swagger-parser");
const Ajv2020 = require("ajv/dist/2020");

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

async function main() {
  const [docPath, answersPath] = process.argv.slice(2);
  if (!docPath) {
    console.error("usage: validate_contract.js DOC.json [ANSWERS.json]");
    process.exit(2);
  }
  // validate() resolves and checks the document against the OpenAPI 3.1 schema and its
  // rules (unique operationIds, declared path parameters, ...); it changes its argument.
  try {
    await SwaggerParser.validate(load(docPath));
  } catch (err) {
    console.log(`invalid OpenAPI document: ${err.message}`);
    console.log(JSON.stringify({ checked: 0, problems: 1 }));
    process.exit(1);
  }
  let problems = 0;
  let checked = 0;
  if (answersPath) {
    const doc = await SwaggerParser.dereference(load(docPath));
    for (const answer of load(answersPath)) {
      checked += 1;
      for (const p of answerProblems(doc, answer)) {
        problems += 1;
        console.log(`${answer.label}: ${answer.method} ${answer.path} -> ${answer.status}: ${p}`);
      }
    }
  }
  console.log(JSON.stringify({ checked, problems }));
  process.exit(problems ? 1 : 0);
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(2);
});
