import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

import { EngineError } from '../../core/errors';

/**
 * CLIP's byte-level BPE tokenizer, as SDXL's two tokenizers use it: text cleaned and
 * lower-cased, split by CLIP's pattern, each piece's bytes mapped to printable symbols
 * and merged by rank, the last symbol of a word carrying `</w>`. Sequences are
 * <|startoftext|> ... <|endoftext|>, truncated and padded to 77.
 */
export const CLIP_LENGTH = 77;
const BOS = '<|startoftext|>';
const EOS = '<|endoftext|>';
// CLIP's pre-tokenising pattern (transformers' CLIPTokenizer), case-insensitive.
const PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/** GPT-2's reversible byte -> printable character map. */
export function byteToUnicode(): Map<number, string> {
  const bytes: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const map = new Map<number, string>(bytes.map((b) => [b, String.fromCharCode(b)]));
  let extra = 0;
  // Insertion order is CLIP's vocabulary order: the printable ranges, then the rest.
  for (let b = 0; b < 256; b++) if (!map.has(b)) map.set(b, String.fromCharCode(256 + extra++));
  return map;
}

const vocabSchema = z.record(z.string(), z.number().int().min(0));
const specialTokensSchema = z.object({ pad_token: z.union([z.string(), z.object({ content: z.string() })]).optional() }).passthrough();

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (match, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : match;
    }
    return named[body.toLowerCase()] ?? match;
  });
}

export class ClipTokenizer {
  private readonly ranks = new Map<string, number>();
  private readonly byteEncoder = byteToUnicode();
  private readonly cache = new Map<string, number[]>();
  readonly bos: number;
  readonly eos: number;

  constructor(
    private readonly vocab: Record<string, number>,
    merges: string[],
    readonly pad: number,
  ) {
    merges.forEach((merge, rank) => this.ranks.set(merge, rank));
    const bos = vocab[BOS];
    const eos = vocab[EOS];
    if (bos === undefined || eos === undefined) throw new EngineError('MODEL_INVALID', `vocab.json has no ${BOS} / ${EOS} tokens`);
    this.bos = bos;
    this.eos = eos;
  }

  /**
   * Reads `<dir>/vocab.json` and `<dir>/merges.txt`. The pad token comes from
   * special_tokens_map.json when present (SDXL's second tokenizer pads with "!"), else
   * `defaultPad` (the first pads with <|endoftext|>).
   */
  static fromDirectory(dir: string, defaultPad: 'eos' | '!'): ClipTokenizer {
    const read = (file: string) => {
      try {
        return fs.readFileSync(path.join(dir, file), 'utf8');
      } catch {
        throw new EngineError('MODEL_NOT_FOUND', `SDXL tokenizer file missing: ${path.join(dir, file)}`);
      }
    };
    let vocab: Record<string, number>;
    try {
      vocab = vocabSchema.parse(JSON.parse(read('vocab.json')));
    } catch (error) {
      if (error instanceof EngineError) throw error;
      throw new EngineError('MODEL_INVALID', `${path.join(dir, 'vocab.json')} is not a token -> id map: ${(error as Error).message.split('\n')[0]}`);
    }
    const merges = read('merges.txt')
      .split('\n')
      .filter((line) => line.length > 0 && !line.startsWith('#version'));
    let padToken = defaultPad === 'eos' ? EOS : '!';
    if (fs.existsSync(path.join(dir, 'special_tokens_map.json'))) {
      const special = specialTokensSchema.safeParse(JSON.parse(read('special_tokens_map.json')));
      const pad = special.success ? special.data.pad_token : undefined;
      if (pad) padToken = typeof pad === 'string' ? pad : pad.content;
    }
    const pad = vocab[padToken];
    if (pad === undefined) throw new EngineError('MODEL_INVALID', `${dir}: pad token ${JSON.stringify(padToken)} is not in vocab.json`);
    return new ClipTokenizer(vocab, merges, pad);
  }

  /** Token ids of the text, without start/end tokens. */
  tokenize(text: string): number[] {
    const cleaned = decodeEntities(decodeEntities(text.normalize('NFC')))
      .replace(/\s+/g, ' ')
      .trim()
      .toLowerCase();
    const ids: number[] = [];
    for (const match of cleaned.matchAll(PATTERN)) {
      const piece = match[0];
      const mapped = [...Buffer.from(piece, 'utf8')].map((byte) => this.byteEncoder.get(byte)!).join('');
      ids.push(...this.bpe(mapped));
    }
    return ids;
  }

  /** <bos> ids <eos>, truncated to 77 (the end token kept) and padded. */
  encode(text: string): Int32Array {
    const ids = this.tokenize(text).slice(0, CLIP_LENGTH - 2);
    const out = new Int32Array(CLIP_LENGTH).fill(this.pad);
    out[0] = this.bos;
    out.set(ids, 1);
    out[ids.length + 1] = this.eos;
    return out;
  }

  private bpe(token: string): number[] {
    const known = this.cache.get(token);
    if (known) return known;
    const symbols = [...token];
    let word = [...symbols.slice(0, -1), `${symbols[symbols.length - 1]}</w>`];
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const first = word[best];
      const second = word[best + 1];
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else merged.push(word[i]);
      }
      word = merged;
    }
    const ids = word.map((symbol) => {
      const id = this.vocab[symbol];
      if (id === undefined) throw new EngineError('MODEL_INVALID', `tokenizer vocabulary has no entry for ${JSON.stringify(symbol)}`);
      return id;
    });
    if (this.cache.size < 10_000) this.cache.set(token, ids);
    return ids;
  }
}
