import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { TidingsError } from '../errors';
import { CONTENT_TYPES, describeBytes, EXTENSIONS, imageTypeOf, type ImageType } from './image-bytes';

/**
 * The media store: images for issues, kept on local disk under MEDIA_DIR and served at `<PUBLIC_URL>/media/`.
 * A stored file is named after the SHA-256 of the bytes it was uploaded with, so the same image uploaded
 * twice (or named by two issues) is stored once and keeps one URL. Files never change once written, which is
 * why GET /media/… may be cached for a year.
 */
export interface MediaStoreOptions {
  dir: string;
  /** The public URL the files are served under, ending in /media/. */
  baseUrl: string;
  /** Uploads larger than this are refused (bytes). */
  maxBytes: number;
  /** Wider images are scaled down to this width (twice the 600 px message: sharp on high-density screens). */
  maxWidth: number;
}

export interface StoredMedia {
  /** File name under the store (`<hash>.<ext>`). */
  name: string;
  url: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
  /** False when the same image was already stored. */
  created: boolean;
  /** True when the upload was wider than maxWidth and was scaled down. */
  scaled: boolean;
}

/** Why an upload was refused, with the HTTP status the API answers. */
export class MediaRejected extends TidingsError {
  constructor(readonly status: 400 | 413 | 415, message: string) {
    super('INVALID_INPUT', message, { status });
    this.name = 'MediaRejected';
  }
}

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_WIDTH = 1200;

const NAME = /^[0-9a-f]{32}\.(png|jpg|gif|webp)$/;

export class LocalMediaStore {
  constructor(readonly options: MediaStoreOptions) {}

  /** Checks and stores an image; nothing is written when it is refused. */
  async put(bytes: Buffer, label = 'the upload'): Promise<StoredMedia> {
    const type = this.accept(bytes, label);
    const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 32);
    const name = `${hash}.${EXTENSIONS[type]}`;
    const file = path.join(this.options.dir, name);
    const existing = await this.info(name).catch(() => undefined);
    if (existing) return { ...existing, created: false, scaled: false };

    let image: { data: Buffer; width: number; height: number; scaled: boolean };
    try {
      image = await this.prepare(bytes, type);
    } catch (err) {
      if (err instanceof MediaRejected) throw err;
      throw new MediaRejected(400, `${label} looks like ${type.toUpperCase()} but cannot be read (${(err as Error).message}): the file is damaged or cut short.`);
    }
    await mkdir(this.options.dir, { recursive: true });
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, image.data);
    await rename(temporary, file);
    return { name, url: this.urlOf(name), contentType: CONTENT_TYPES[type], width: image.width, height: image.height, bytes: image.data.length, created: true, scaled: image.scaled };
  }

  /**
   * What `put` would store, without writing anything: `issue check` reports a local image that would be
   * refused, and renders with the URL it would get.
   */
  async plan(bytes: Buffer, label = 'the upload'): Promise<Omit<StoredMedia, 'created'>> {
    const type = this.accept(bytes, label);
    const name = `${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}.${EXTENSIONS[type]}`;
    let metadata: Metadata;
    try {
      metadata = await sharp(bytes, { animated: type === 'gif' || type === 'webp' }).metadata();
    } catch (err) {
      throw new MediaRejected(400, `${label} looks like ${type.toUpperCase()} but cannot be read (${(err as Error).message}): the file is damaged or cut short.`);
    }
    const width = metadata.width ?? 0;
    const height = metadata.pageHeight ?? metadata.height ?? 0;
    const scaled = width > this.options.maxWidth;
    return {
      name,
      url: this.urlOf(name),
      contentType: CONTENT_TYPES[type],
      width: scaled ? this.options.maxWidth : width,
      height: scaled ? Math.round((height * this.options.maxWidth) / width) : height,
      bytes: bytes.length,
      scaled,
    };
  }

  /** A stored file's size in pixels and bytes, or undefined when there is no such file. */
  async info(name: string): Promise<Omit<StoredMedia, 'created' | 'scaled'> | undefined> {
    const file = this.fileOf(name);
    if (!file) return undefined;
    const size = await stat(file).then((s) => s.size, () => undefined);
    if (size === undefined) return undefined;
    const metadata = await sharp(await readFile(file)).metadata();
    const type = imageTypeOf(await readFile(file)) ?? 'png';
    return { name, url: this.urlOf(name), contentType: CONTENT_TYPES[type], width: metadata.width ?? 0, height: metadata.pageHeight ?? metadata.height ?? 0, bytes: size };
  }

  /** The file behind a name, or undefined for a name the store never gives out (no path tricks). */
  fileOf(name: string): string | undefined {
    return NAME.test(name) ? path.join(this.options.dir, name) : undefined;
  }

  /** The stored name behind one of this store's URLs, or undefined for any other URL. */
  nameOf(url: string): string | undefined {
    if (!url.startsWith(this.options.baseUrl)) return undefined;
    const name = url.slice(this.options.baseUrl.length).split(/[?#]/)[0];
    return NAME.test(name) ? name : '';
  }

  urlOf(name: string): string {
    return `${this.options.baseUrl}${name}`;
  }

  /** The image type of an upload, or a refusal: too large, or not one of the four formats. */
  private accept(bytes: Buffer, label: string): ImageType {
    if (bytes.length > this.options.maxBytes) {
      throw new MediaRejected(413, `${label} is ${(bytes.length / 1024 / 1024).toFixed(1)} MB, more than the ${(this.options.maxBytes / 1024 / 1024).toFixed(0)} MB limit (MEDIA_MAX_BYTES): make the image smaller.`);
    }
    const type = imageTypeOf(bytes);
    if (!type) throw new MediaRejected(415, `${label} is ${describeBytes(bytes)}: only PNG, JPEG, GIF and WebP images are accepted (judged by the file's content, not its name).`);
    return type;
  }

  private async prepare(bytes: Buffer, type: ImageType): Promise<{ data: Buffer; width: number; height: number; scaled: boolean }> {
    const animated = type === 'gif' || type === 'webp';
    // Decoding the whole image (not only its header) finds files that are cut short or damaged.
    await sharp(bytes, { animated, failOn: 'truncated' }).stats();
    const metadata = await sharp(bytes, { animated }).metadata();
    const width = metadata.width ?? 0;
    const height = metadata.pageHeight ?? metadata.height ?? 0;
    if (!width || !height) throw new Error('no image size in the file');
    if (width <= this.options.maxWidth) return { data: bytes, width, height, scaled: false };
    const { data, info } = await sharp(bytes, { animated })
      .resize({ width: this.options.maxWidth })
      .toFormat(type)
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.pageHeight ?? info.height, scaled: true };
  }
}

/** The store a config describes. */
export function mediaStoreFor(config: { mediaDir: string; publicUrl: string; mediaMaxBytes: number }): LocalMediaStore {
  return new LocalMediaStore({ dir: path.resolve(config.mediaDir), baseUrl: `${config.publicUrl}/media/`, maxBytes: config.mediaMaxBytes, maxWidth: DEFAULT_MAX_WIDTH });
}

/** Size in pixels of an image file on disk (under public/ or next to a content file). */
export async function imageSize(file: string): Promise<{ width: number; height: number } | undefined> {
  try {
    const metadata = await sharp(file).metadata();
    return metadata.width && metadata.height ? { width: metadata.width, height: metadata.pageHeight ?? metadata.height } : undefined;
  } catch {
    return undefined;
  }
}
