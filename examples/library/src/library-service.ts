import { clone, create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { type CallContext, Code, RpcError } from "@ts-gateway/runtime";
import { BadRequestSchema, ResourceInfoSchema } from "@ts-gateway/runtime/error-details";
import type { LibraryServiceApi } from "./gen/library/v1/library_gateway.js";
import {
  type Book,
  BookSchema,
  type CreateBookRequest,
  type CreateShelfRequest,
  type DeleteBookRequest,
  type DeleteShelfRequest,
  type DiscussRequest,
  type DiscussResponseSchema,
  type GetBookRequest,
  type GetShelfRequest,
  type ListBooksRequest,
  type ListShelvesRequest,
  type MoveBookRequest,
  type Shelf,
  ShelfSchema,
  type UpdateBookRequest,
  type WatchShelfRequest,
  WatchShelfResponse_Change,
  type WatchShelfResponseSchema,
} from "./gen/library/v1/library_pb.js";

/**
 * An in-memory library: shelves `shelves/{n}` holding books `shelves/{n}/books/{m}`.
 * It implements the generated API, so it can be served over gRPC or in-process.
 */
export class InMemoryLibrary implements LibraryServiceApi {
  readonly #shelves = new Map<string, Shelf>();
  readonly #books = new Map<string, Map<string, Book>>();
  #nextShelf = 1;
  #nextBook = 1;
  /** Open WatchShelf streams, by shelf name. */
  readonly #watchers = new Map<string, Set<Mailbox<WatchShelfResponseInit>>>();
  /** Members of each shelf's discussion. */
  readonly #discussions = new Map<string, Set<Mailbox<DiscussResponseInit>>>();

  async createShelf(request: CreateShelfRequest, context: CallContext): Promise<Shelf> {
    const theme = request.shelf?.theme ?? "";
    if (theme === "") throw badRequest("shelf.theme", "a shelf needs a theme");
    const shelf = create(ShelfSchema, {
      name: `shelves/${this.#nextShelf++}`,
      theme,
      createTime: timestampNow(),
    });
    this.#shelves.set(shelf.name, shelf);
    this.#books.set(shelf.name, new Map());
    context.responseMetadata.set("x-http-code", "201");
    return shelf;
  }

  async listShelves(request: ListShelvesRequest) {
    const { items, nextPageToken } = page(
      [...this.#shelves.values()],
      request.pageSize,
      request.pageToken,
    );
    return { shelves: items, nextPageToken };
  }

  async getShelf(request: GetShelfRequest): Promise<Shelf> {
    return this.#shelf(request.name);
  }

  async deleteShelf(request: DeleteShelfRequest) {
    this.#shelf(request.name);
    this.#shelves.delete(request.name);
    this.#books.delete(request.name);
    for (const watcher of this.#watchers.get(request.name) ?? []) watcher.end();
    return {};
  }

  async createBook(request: CreateBookRequest, context: CallContext): Promise<Book> {
    const books = this.#booksOf(request.parent);
    if ((request.book?.title ?? "") === "") throw badRequest("book.title", "a book needs a title");
    const book = clone(BookSchema, request.book ?? create(BookSchema));
    book.name = `${request.parent}/books/${this.#nextBook++}`;
    books.set(book.name, book);
    this.#notify(book, WatchShelfResponse_Change.ADDED);
    context.responseMetadata.set("x-http-code", "201");
    return book;
  }

  async listBooks(request: ListBooksRequest) {
    const all = [...this.#booksOf(request.parent).values()].filter(
      (b) => request.genre === 0 || b.genre === request.genre,
    );
    const { items, nextPageToken } = page(all, request.pageSize, request.pageToken);
    return { books: items, nextPageToken };
  }

  async getBook(request: GetBookRequest): Promise<Book> {
    return this.#book(request.name);
  }

  async updateBook(request: UpdateBookRequest): Promise<Book> {
    const patch = request.book;
    if (patch === undefined) throw badRequest("book", "the request has no book");
    const book = this.#book(patch.name);
    // No mask: replace every field. (The gateway fills the mask from the JSON keys of a PATCH body.)
    const fields = request.updateMask?.paths ?? [
      "author",
      "title",
      "read",
      "genre",
      "page_count",
      "labels",
    ];
    for (const path of fields) {
      switch (path) {
        case "author":
          book.author = patch.author;
          break;
        case "title":
          book.title = patch.title;
          break;
        case "read":
          book.read = patch.read;
          break;
        case "genre":
          book.genre = patch.genre;
          break;
        case "page_count":
          book.pageCount = patch.pageCount;
          break;
        case "labels":
          book.labels = { ...patch.labels };
          break;
        default:
          throw badRequest("update_mask", `"${path}" is not a field of Book that can be updated`);
      }
    }
    this.#notify(book, WatchShelfResponse_Change.UPDATED);
    return book;
  }

  async deleteBook(request: DeleteBookRequest) {
    const book = this.#book(request.name);
    this.#booksOf(shelfOf(book.name)).delete(book.name);
    this.#notify(book, WatchShelfResponse_Change.REMOVED);
    return {};
  }

  async moveBook(request: MoveBookRequest): Promise<Book> {
    const book = this.#book(request.name);
    const target = this.#booksOf(request.otherShelfName);
    this.#booksOf(shelfOf(book.name)).delete(book.name);
    const moved = clone(BookSchema, book);
    moved.name = `${request.otherShelfName}/books/${this.#nextBook++}`;
    target.set(moved.name, moved);
    this.#notify(book, WatchShelfResponse_Change.REMOVED);
    this.#notify(moved, WatchShelfResponse_Change.ADDED);
    return moved;
  }

  async *watchShelf(request: WatchShelfRequest, context: CallContext) {
    const books = this.#booksOf(request.name);
    const mailbox = new Mailbox<WatchShelfResponseInit>(context.signal);
    const watchers = getOrAdd(this.#watchers, request.name);
    watchers.add(mailbox);
    try {
      for (const book of [...books.values()]) {
        yield { change: WatchShelfResponse_Change.ADDED, book: clone(BookSchema, book) };
      }
      yield* mailbox;
    } finally {
      watchers.delete(mailbox);
    }
  }

  async *discuss(requests: AsyncIterable<DiscussRequest>, context: CallContext) {
    const mailbox = new Mailbox<DiscussResponseInit>(context.signal);
    let members: Set<Mailbox<DiscussResponseInit>> | undefined;
    // Read the member's posts while their mailbox is written to them; their half-close ends both.
    const reading = (async () => {
      for await (const post of requests) {
        this.#shelf(post.name);
        if (members === undefined) {
          members = getOrAdd(this.#discussions, post.name);
          members.add(mailbox);
        }
        if (post.text === "") continue;
        const message = { user: post.user, text: post.text, postTime: timestampNow() };
        for (const member of members) member.push(message);
      }
    })();
    reading.then(
      () => mailbox.end(),
      (err: unknown) => mailbox.end(err),
    );
    try {
      yield* mailbox;
    } finally {
      members?.delete(mailbox);
    }
  }

  /** Tells the watchers of a book's shelf about a change. */
  #notify(book: Book, change: WatchShelfResponse_Change): void {
    const watchers = this.#watchers.get(shelfOf(book.name));
    if (watchers === undefined) return;
    for (const watcher of watchers) watcher.push({ change, book: clone(BookSchema, book) });
  }

  #shelf(name: string): Shelf {
    const shelf = this.#shelves.get(name);
    if (shelf === undefined) throw notFound("library.v1.Shelf", name);
    return shelf;
  }

  #booksOf(shelfName: string): Map<string, Book> {
    const books = this.#books.get(shelfName);
    if (books === undefined) throw notFound("library.v1.Shelf", shelfName);
    return books;
  }

  #book(name: string): Book {
    const book = this.#booksOf(shelfOf(name)).get(name);
    if (book === undefined) throw notFound("library.v1.Book", name);
    return book;
  }
}

type WatchShelfResponseInit = MessageInitShape<typeof WatchShelfResponseSchema>;
type DiscussResponseInit = MessageInitShape<typeof DiscussResponseSchema>;

/**
 * The messages waiting for one stream's consumer: pushed by the library,
 * read with `for await`; ends on `end()` (with an error to fail the stream)
 * or when the call's signal aborts.
 */
class Mailbox<T> implements AsyncIterable<T> {
  readonly #queue: T[] = [];
  #done = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  constructor(signal: AbortSignal) {
    if (signal.aborted) this.#done = true;
    else signal.addEventListener("abort", () => this.end(), { once: true });
  }

  push(value: T): void {
    if (this.#done) return;
    this.#queue.push(value);
    this.#notify();
  }

  end(error?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const value = this.#queue.shift();
      if (value !== undefined) {
        yield value;
        continue;
      }
      if (this.#done) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}

function getOrAdd<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}

function shelfOf(bookName: string): string {
  return bookName.split("/books/")[0] ?? "";
}

/** Offset paging: the token is the next offset, opaque to clients. */
function page<T>(
  all: T[],
  pageSize: number,
  pageToken: string,
): { items: T[]; nextPageToken: string } {
  if (pageSize < 0) throw badRequest("page_size", "page_size must not be negative");
  const size = Math.min(pageSize === 0 ? 10 : pageSize, 100);
  let offset = 0;
  if (pageToken !== "") {
    offset = Number.parseInt(Buffer.from(pageToken, "base64url").toString(), 10);
    if (!Number.isInteger(offset) || offset < 0)
      throw badRequest("page_token", "page_token is not valid");
  }
  const items = all.slice(offset, offset + size);
  const next = offset + size;
  return {
    items,
    nextPageToken: next < all.length ? Buffer.from(String(next)).toString("base64url") : "",
  };
}

function notFound(resourceType: string, resourceName: string): RpcError {
  return new RpcError(`${resourceName} does not exist`, Code.NotFound, {
    details: [{ desc: ResourceInfoSchema, value: { resourceType, resourceName } }],
  });
}

function badRequest(field: string, description: string): RpcError {
  return new RpcError(description, Code.InvalidArgument, {
    details: [{ desc: BadRequestSchema, value: { fieldViolations: [{ field, description }] } }],
  });
}
