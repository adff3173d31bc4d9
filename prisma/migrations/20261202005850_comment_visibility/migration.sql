-- AlterTable
ALTER TABLE "comments" ADD COLUMN     "is_public" BOOLEAN NOT NULL DEFAULT false;

-- ─── Written by hand: visibility decided at write time, and change notices for every instance ───
-- This script holds PL/pgSQL bodies: the schema engine sends it as one script (src/db/schema-engine.ts).
-- test/db/migrations.test.ts lists every object below (HAND_WRITTEN) and checks that it exists.

-- A comment is public when it is approved and so is every comment above it: a reply to a comment
-- that is later hidden goes with it, so no public parentId names a comment that is not public.
-- Kept by triggers, so the read path is one indexed scan with no recursive query.
WITH RECURSIVE visible AS (
  SELECT id FROM comments WHERE parent_id IS NULL AND status = 'approved'
  UNION ALL
  SELECT c.id FROM comments c JOIN visible v ON c.parent_id = v.id WHERE c.status = 'approved'
)
UPDATE comments SET is_public = true WHERE id IN (SELECT id FROM visible);

-- The public page's order, public rows only.
CREATE INDEX comments_public_page_idx ON comments (article_id, created_at, id) WHERE is_public;

-- Before a row is written: its own visibility, from its status and its parent's.
CREATE FUNCTION comment_visibility_before() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.is_public := NEW.status = 'approved'
    AND (NEW.parent_id IS NULL OR COALESCE((SELECT p.is_public FROM comments p WHERE p.id = NEW.parent_id), false));
  RETURN NEW;
END
$$;

-- After: carry a change of visibility down to the replies (each reply's own trigger carries it
-- further), and tell every instance that an article's public thread changed. Identical notices in
-- one transaction are delivered once, at commit, and never for a rolled-back change.
CREATE FUNCTION comment_visibility_after() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.is_public IS DISTINCT FROM NEW.is_public THEN
    UPDATE comments SET is_public = NEW.is_public AND status = 'approved'
     WHERE parent_id = NEW.id AND is_public IS DISTINCT FROM (NEW.is_public AND status = 'approved');
  END IF;
  IF (TG_OP = 'INSERT' AND NEW.is_public)
     OR (TG_OP = 'DELETE' AND OLD.is_public)
     OR (TG_OP = 'UPDATE' AND (OLD.is_public OR NEW.is_public)
         AND (OLD.is_public IS DISTINCT FROM NEW.is_public OR OLD.body IS DISTINCT FROM NEW.body
              OR OLD.author_name IS DISTINCT FROM NEW.author_name OR OLD.parent_id IS DISTINCT FROM NEW.parent_id
              OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.article_id IS DISTINCT FROM NEW.article_id)) THEN
    PERFORM pg_notify('acupoint_api_changes', json_build_object('comments', COALESCE(NEW.article_id, OLD.article_id))::text);
    IF TG_OP = 'UPDATE' AND OLD.article_id IS DISTINCT FROM NEW.article_id THEN
      PERFORM pg_notify('acupoint_api_changes', json_build_object('comments', OLD.article_id)::text);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER comments_visibility_before BEFORE INSERT OR UPDATE OF status, parent_id ON comments
  FOR EACH ROW EXECUTE FUNCTION comment_visibility_before();
CREATE TRIGGER comments_visibility_after AFTER INSERT OR UPDATE OR DELETE ON comments
  FOR EACH ROW EXECUTE FUNCTION comment_visibility_after();

-- Reference data (what the reference cache holds): any write tells every instance to drop its copies.
CREATE FUNCTION reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('acupoint_api_changes', json_build_object('reference', TG_TABLE_NAME)::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER acupoints_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON acupoints FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER channels_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON channels FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER sources_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sources FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER claims_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON claims FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER articles_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON articles FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
CREATE TRIGGER article_points_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_points FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
