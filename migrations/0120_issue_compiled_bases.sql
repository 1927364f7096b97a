-- The addresses an issue's URLs were compiled under: ASSET_BASE_URL (relative image paths resolved against
-- it) and PUBLIC_URL (media store images are served under <PUBLIC_URL>/media/). Preflight refuses to send an
-- issue compiled under other bases than the sending server's, so no message goes out with images at an old
-- (often a development) address. NULL: stored before they were recorded, or by a caller that did not say.
ALTER TABLE issues ADD COLUMN IF NOT EXISTS compiled_public_url text;
ALTER TABLE issues ADD COLUMN IF NOT EXISTS compiled_asset_base_url text;
