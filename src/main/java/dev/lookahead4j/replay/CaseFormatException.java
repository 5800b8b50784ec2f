package dev.lookahead4j.replay;

/** A reference case file that cannot be used: names the file and the field. */
public final class CaseFormatException extends RuntimeException {
    private final String file;
    private final String field;

    public CaseFormatException(String file, String field, String message) {
        super(file + ": " + field + ": " + message);
        this.file = file;
        this.field = field;
    }

    public String file() { return file; }
    public String field() { return field; }
}
