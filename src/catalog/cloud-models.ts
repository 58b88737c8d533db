// crabllm's `cloud_models` file: a TOML file of `["<model>"]` tables, each shaped as a [models.<name>]
// entry (context_length, pricing, vision, …), as crabllm's models/cloud.toml. Read once when a catalog
// is built; every problem is a ConfigError naming the file, the line and the field, as the config's own.
import { readFileSync } from 'node:fs'
import { Type as T } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { parse, TomlError } from 'smol-toml'
import { ConfigError } from '../config/errors'
import { type ModelEntry, ModelEntrySchema, modelsIssue } from '../config/model-entry'
import { describeSchemaError, shapeIssue } from '../config/schema-errors'
import { findLine } from '../config/toml-lines'

/** The file's entries by model name; throws ConfigError. */
export function readCloudModels(file: string): Record<string, ModelEntry> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as { code?: string }).code
    throw new ConfigError(
      file,
      '',
      code === 'ENOENT' ? 'cloud_models file not found' : `cannot read the cloud_models file (${code ?? String(err)})`,
      'check cloud_models in the config (a path relative to the config file)',
    )
  }
  let raw: unknown
  try {
    raw = parse(text)
  } catch (err) {
    const problem = `invalid TOML: ${err instanceof TomlError ? err.message.split('\n')[0] : String(err)}`
    throw new ConfigError(file, '', problem, 'correct the TOML syntax at that line', (err as TomlError).line)
  }
  const shape = shapeIssue(CloudModelsSchema, raw, '')
  if (shape) throw new ConfigError(file, shape.field, shape.problem, shape.fix, findLine(text, shape.field))
  if (!check.Check(raw)) {
    const issue = describeSchemaError(check.Errors(raw).First()!, CloudModelsSchema)
    throw new ConfigError(file, issue.field, issue.problem, issue.fix, findLine(text, issue.field))
  }
  const entries = raw as Record<string, ModelEntry>
  const issue = modelsIssue(entries, '')
  if (issue) throw new ConfigError(file, issue.field, issue.problem, issue.fix, findLine(text, issue.field))
  return entries
}

// --- internal ---

const CloudModelsSchema = T.Record(T.String({ minLength: 1 }), ModelEntrySchema)
const check = TypeCompiler.Compile(CloudModelsSchema)
