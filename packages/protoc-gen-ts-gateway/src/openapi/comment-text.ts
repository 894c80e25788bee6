import { getComments } from "../comments.js";

/** The leading comment of an element as the document shows it, or undefined. */
export type CommentText = (desc: Parameters<typeof getComments>[0]) => string | undefined;

/**
 * The comment policy of a document: `openapi_ignore_comments` shows none;
 * `openapi_remove_internal_comments` cuts AIP-192's internal parts,
 * `(-- … --)`, out of every comment.
 */
export function commentText(ignore: boolean, removeInternal: boolean): CommentText {
  return (desc) => {
    if (ignore) return undefined;
    let text = getComments(desc).leading;
    if (text === undefined) return undefined;
    if (removeInternal) text = text.replace(/\(--[\s\S]*?--\)/g, "");
    text = text.trim();
    return text === "" ? undefined : text;
  };
}
