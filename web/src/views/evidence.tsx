/**
 * A decrypted evidence file shown to its reader: images inline, PDFs in the browser's viewer (an
 * <object> on a blob URL, with a link to open or save it), anything else as a download only.
 */
import { useEffect, useMemo } from "preact/hooks";
import { evidenceKind, evidenceUrl, formatBytes } from "../desk.ts";
import { useT } from "../i18n.ts";

export function Evidence(props: { file: { name: string; type: string; bytes: Uint8Array } }) {
  const t = useT();
  const { file } = props;
  const kind = evidenceKind(file);
  const url = useMemo(() => evidenceUrl(file), [file]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return (
    <figure class="evidence" data-testid="evidence" data-kind={kind} data-name={file.name}>
      {kind === "image" ? <img src={url} alt={file.name} /> : null}
      {kind === "pdf" ? (
        <object data={url} type="application/pdf" title={file.name}>
          <p>{t("evidenceNoViewer")}</p>
        </object>
      ) : null}
      <figcaption>
        <span class="mono">{file.name}</span>{" "}
        <small>
          {file.type} · {formatBytes(file.bytes.length)}
        </small>{" "}
        <a href={url} download={file.name}>
          {t("evidenceDownload")}
        </a>
        {kind === "pdf" ? (
          <>
            {" · "}
            <a href={url} target="_blank" rel="noopener noreferrer">
              {t("evidenceOpen")}
            </a>
          </>
        ) : null}
      </figcaption>
    </figure>
  );
}
