// The Gemini API shapes this provider writes and reads (v1beta REST, JSON). Only the fields the
// translators touch are listed; everything else passes unseen. https://ai.google.dev/api/generate-content

export interface GeminiPart {
  text?: string
  /** True on a thought summary (thinking models); never shown as answer text. */
  thought?: boolean
  /** Opaque signature the model wants back on the same part in the next turn. */
  thoughtSignature?: string
  inline_data?: { mime_type: string; data: string }
  file_data?: { file_uri: string; mime_type?: string }
  functionCall?: { id?: string; name: string; args?: Record<string, unknown> }
  functionResponse?: { name: string; response: Record<string, unknown> }
}

export interface GeminiContent {
  role: 'user' | 'model'
  parts: GeminiPart[]
}

export interface GeminiFunctionDeclaration {
  name: string
  description?: string
  parameters?: GeminiSchema
}

export type GeminiSchema = Record<string, unknown>

export interface GeminiGenerationConfig {
  temperature?: number
  topP?: number
  topK?: number
  maxOutputTokens?: number
  stopSequences?: string[]
  candidateCount?: number
  seed?: number
  presencePenalty?: number
  frequencyPenalty?: number
  responseMimeType?: string
  /** The OpenAPI-subset schema (schema.ts cleans a JSON Schema into it). */
  responseSchema?: GeminiSchema
  /** A JSON Schema as the client wrote it (Gemini 2.5 and later); never sent with responseSchema. */
  responseJsonSchema?: unknown
  thinkingConfig?: GeminiThinkingConfig
}

/** https://ai.google.dev/api/generate-content#ThinkingConfig (thinkingBudget and thinkingLevel exclude each other). */
export interface GeminiThinkingConfig {
  /** Return thought summaries (parts with `thought: true`). */
  includeThoughts?: boolean
  /** Thinking tokens: 0 off, -1 dynamic (Gemini 2.5; accepted by later models for compatibility). */
  thinkingBudget?: number
  /** Gemini 3 and later (lower case, as Google's REST examples write it). */
  thinkingLevel?: 'minimal' | 'low' | 'medium' | 'high'
}

export interface GeminiRequest {
  contents: GeminiContent[]
  systemInstruction?: { parts: { text: string }[] }
  tools?: { functionDeclarations: GeminiFunctionDeclaration[] }[]
  toolConfig?: { functionCallingConfig: { mode: 'AUTO' | 'NONE' | 'ANY'; allowedFunctionNames?: string[] } }
  generationConfig?: GeminiGenerationConfig
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number
  candidatesTokenCount?: number
  thoughtsTokenCount?: number
  toolUsePromptTokenCount?: number
  cachedContentTokenCount?: number
  totalTokenCount?: number
}

export interface GeminiCandidate {
  index?: number
  content?: { role?: string; parts?: GeminiPart[] }
  finishReason?: string
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[]
  promptFeedback?: { blockReason?: string }
  usageMetadata?: GeminiUsageMetadata
  modelVersion?: string
  responseId?: string
}

export interface GeminiErrorBody {
  error?: { code?: number; message?: string; status?: string; details?: Record<string, unknown>[] }
}
