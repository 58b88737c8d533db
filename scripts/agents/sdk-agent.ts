// The OpenAI Agents SDK program scripts/agents.ts runs: copied into the agents' install dir and run there
// with Bun, so that @openai/agents, openai and zod resolve from that install (the latest from npm), not
// from this repository's devDependencies. One Agent with one function tool, over the Responses API (the
// SDK's default), against OPENAI_BASE_URL; tracing off so nothing is sent to OpenAI's trace exporter.
// Env: OPENAI_BASE_URL, OPENAI_API_KEY, CRAB_MODEL, CRAB_TOOL_MARKER, CRAB_STREAM=1 for a streamed run.
import { Agent, run, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled, tool } from '@openai/agents'
import OpenAI from 'openai'
import { z } from 'zod'

setTracingDisabled(true)
setOpenAIAPI('responses')
setDefaultOpenAIClient(new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY }))

const crabFact = tool({
  name: 'get_crab_fact',
  description: 'Returns one fact about crabs on the given topic.',
  parameters: z.object({ topic: z.string() }),
  execute: async ({ topic }) => `crab fact about ${topic}: ${process.env.CRAB_TOOL_MARKER}`,
})

const agent = new Agent({
  name: 'Crab expert',
  instructions: 'Call get_crab_fact once, then answer with what it said.',
  model: process.env.CRAB_MODEL!,
  tools: [crabFact],
})

const input = 'Tell me a fact about crab molting.'
try {
  if (process.env.CRAB_STREAM === '1') {
    const result = await run(agent, input, { stream: true })
    for await (const _ of result.toTextStream()) {
      // drain: the final output is read below
    }
    await result.completed
    console.log(result.finalOutput)
  } else {
    const result = await run(agent, input)
    console.log(result.finalOutput)
  }
} catch (e) {
  // One line first (the report shows it), then the whole error.
  const err = e as Error
  console.error(err)
  console.error(`error: ${err.message}`)
  process.exit(1)
}
