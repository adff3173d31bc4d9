-- AlterTable
ALTER TABLE "channels" ADD COLUMN     "hanzi_simplified" TEXT,
ADD COLUMN     "hanzi_traditional" TEXT,
ADD COLUMN     "organ" TEXT,
ADD COLUMN     "pinyin" TEXT,
ADD COLUMN     "standard_source_id" UUID;

-- AlterTable
ALTER TABLE "acupoints" ADD COLUMN     "figure" JSONB,
ADD COLUMN     "location_note" TEXT;

-- CreateIndex
CREATE INDEX "channels_organ_idx" ON "channels"("organ");

-- CreateIndex
CREATE INDEX "channels_standard_source_id_idx" ON "channels"("standard_source_id");

-- AddForeignKey
ALTER TABLE "channels" ADD CONSTRAINT "channels_standard_source_id_fkey" FOREIGN KEY ("standard_source_id") REFERENCES "sources"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- ─── Search, written by hand: Prisma's schema cannot express generated columns or extensions ───
-- No semicolon anywhere but at the end of a statement: the pg adapter splits the script on every one.
-- test/db/migrations.test.ts lists every object below (HAND_WRITTEN) and checks that it exists.

-- unaccent folds tone marks (Yíngxiāng → Yingxiang), and pg_trgm indexes substring and near-miss matches.
-- Both ship with PostgreSQL (contrib) and with PGlite (loaded in src/db/embedded-postgres.ts).
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

-- unaccent() is only STABLE (its dictionary could be edited), so no generated column or index may use
-- it. Naming the dictionary makes the result depend on the arguments alone: the documented way round.
CREATE FUNCTION search_fold(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN lower(public.unaccent('public.unaccent'::regdictionary, $1));

-- The form codes and names are compared in: folded, without spaces, hyphens, apostrophes, dots or
-- brackets. `LI 20` and `li-20` become `li20`, `Yíng xiāng` becomes `yingxiang`.
CREATE FUNCTION search_key(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN regexp_replace(search_fold($1), '[\s\-_''’.·,/()]+', '', 'g');

-- Folding is computed once per write, not per row per search: as expressions in the query, the
-- functions' call overhead made a search of 36,000 points take seconds. Nothing writes these columns.
ALTER TABLE "acupoints"
  ADD COLUMN "search_pinyin" text GENERATED ALWAYS AS (search_key("pinyin")) STORED,
  ADD COLUMN "search_english" text GENERATED ALWAYS AS (search_key("english_name")) STORED,
  ADD COLUMN "search_names" text GENERATED ALWAYS AS (
    search_key("pinyin") || ' ' || search_key("english_name") || ' ' || "hanzi_traditional" || ' ' || "hanzi_simplified") STORED,
  ADD COLUMN "search_words" tsvector GENERATED ALWAYS AS (
    to_tsvector('english', search_fold("english_name" || ' ' || coalesce("location", '') || ' ' || coalesce("location_note", '')))) STORED;
ALTER TABLE "claims"
  ADD COLUMN "search_words" tsvector GENERATED ALWAYS AS (to_tsvector('english', search_fold("text" || ' ' || coalesce("keyword", '')))) STORED;

-- Exact name matches (pinyin, English, characters).
CREATE INDEX "acupoints_search_pinyin_idx" ON "acupoints" ("search_pinyin");
CREATE INDEX "acupoints_search_english_idx" ON "acupoints" ("search_english");
CREATE INDEX "acupoints_hanzi_traditional_idx" ON "acupoints" ("hanzi_traditional");
CREATE INDEX "acupoints_hanzi_simplified_idx" ON "acupoints" ("hanzi_simplified");
-- Prefix and substring matches on any name, and near misses (typos) on pinyin.
CREATE INDEX "acupoints_search_names_trgm_idx" ON "acupoints" USING gin ("search_names" gin_trgm_ops);
CREATE INDEX "acupoints_search_pinyin_trgm_idx" ON "acupoints" USING gin ("search_pinyin" gin_trgm_ops);
-- Words in English names, locations, location notes and claims.
CREATE INDEX "acupoints_search_words_idx" ON "acupoints" USING gin ("search_words");
CREATE INDEX "claims_search_words_idx" ON "claims" USING gin ("search_words");
