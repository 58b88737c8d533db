// The audio endpoints as they cross the wire (OpenAI's shapes, open to fields added later):
// POST /v1/audio/speech (JSON in, audio bytes out) and /v1/audio/transcriptions, /translations
// (multipart in: the file and fields are relayed exactly as sent).
// https://platform.openai.com/docs/api-reference/audio
import { type Static, Type as T } from '@sinclair/typebox'

export const SpeechRequestSchema = T.Object(
  {
    model: T.String({ minLength: 1, description: 'A model or alias the key may use.' }),
    input: T.String({ description: 'The text to speak.' }),
    voice: T.String({ description: 'alloy, ash, coral, echo, fable, onyx, nova, sage, shimmer, …' }),
    response_format: T.Optional(T.String({ description: 'mp3 (default), opus, aac, flac, wav or pcm.' })),
    speed: T.Optional(T.Number({ minimum: 0.25, maximum: 4 })),
    instructions: T.Optional(T.String()),
  },
  {
    title: 'SpeechRequest',
    description: 'Relayed unchanged; the audio answer streams back with the upstream content type.',
  },
)
export type SpeechRequest = Static<typeof SpeechRequestSchema>

/** A file part of a multipart body. */
const FileSchema = T.String({
  format: 'binary',
  contentMediaType: 'application/octet-stream',
  description: 'The audio file (flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav or webm).',
})

export const TranscriptionRequestSchema = T.Object(
  {
    file: FileSchema,
    model: T.String({ minLength: 1, description: 'A model or alias the key may use.' }),
    language: T.Optional(T.String({ description: 'ISO-639-1 language of the audio.' })),
    prompt: T.Optional(T.String()),
    response_format: T.Optional(T.String({ description: 'json (default), text, srt, verbose_json or vtt.' })),
    temperature: T.Optional(T.Number({ minimum: 0, maximum: 1 })),
    'timestamp_granularities[]': T.Optional(T.Array(T.String({ description: 'word or segment.' }))),
    stream: T.Optional(T.Boolean({ description: 'Server-sent transcript events (gpt-4o-transcribe models).' })),
  },
  {
    title: 'TranscriptionRequest',
    description: 'multipart/form-data; the file and every field reach the upstream exactly as sent.',
  },
)

export const TranslationRequestSchema = T.Object(
  {
    file: FileSchema,
    model: T.String({ minLength: 1, description: 'A model or alias the key may use.' }),
    prompt: T.Optional(T.String()),
    response_format: T.Optional(T.String({ description: 'json (default), text, srt, verbose_json or vtt.' })),
    temperature: T.Optional(T.Number({ minimum: 0, maximum: 1 })),
  },
  { title: 'TranslationRequest', description: 'multipart/form-data: audio in any language, answered as English text.' },
)

export const TranscriptionSchema = T.Object(
  {
    text: T.String(),
    language: T.Optional(T.String()),
    duration: T.Optional(T.Number()),
    segments: T.Optional(T.Array(T.Object({}))),
    words: T.Optional(T.Array(T.Object({}))),
    usage: T.Optional(T.Object({ type: T.Optional(T.String()) })),
  },
  { title: 'Transcription', description: 'response_format json or verbose_json; text, srt and vtt answer text/plain.' },
)
