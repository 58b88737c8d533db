// Server-sent events, in one home: scanning relayed bytes (scan.ts), parsing translated streams
// (parser.ts), writing frames (frames.ts), the stream-translation plumbing (translate.ts), and reading
// a chat-chunk stream for the translators from chat (chat-chunks.ts).
export { argumentsComplete, ChatChunkTranslator, firstChoice, type QueuedPart } from './chat-chunks'
export { DONE_FRAME, dataFrame, namedFrame } from './frames'
export { type SseEvent, SseParser } from './parser'
export { EventCutter, endOfEvent, endOfLastEvent, endsWithDone, endsWithEvent, isBlank } from './scan'
export { type StreamTranslator, startTranslatedStream, translateStream } from './translate'
